package split

// NumSlots is the number of hash slots of a Redis Cluster.
const NumSlots = 16384

// crcTable is the CRC-16/XMODEM table (polynomial 0x1021), the CRC Redis
// Cluster uses for key slots. It is constant: computed when the package is
// initialised rather than written out as 256 literals.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC16 returns the CRC-16/XMODEM checksum of s (polynomial 0x1021, initial
// value 0, no reflection, no final XOR), the checksum Redis Cluster hashes
// keys with. CRC16("123456789") is 0x31C3.
func CRC16(s string) uint16 {
	var c uint16
	for i := 0; i < len(s); i++ {
		c = c<<8 ^ crcTable[byte(c>>8)^s[i]]
	}
	return c
}

// Slot returns the Redis Cluster hash slot of key, as CLUSTER KEYSLOT does:
// CRC16 of the key's hash tag (the bytes between the first '{' and the
// first '}' after it, if that is not empty) or else of the whole key,
// modulo 16384.
func Slot(key string) int {
	if tag, ok := hashTag(key); ok {
		key = tag
	}
	return int(CRC16(key)) & (NumSlots - 1)
}

// hashTag returns key's hash tag, if it has one.
func hashTag(key string) (string, bool) {
	for i := 0; i < len(key); i++ {
		if key[i] != '{' {
			continue
		}
		for j := i + 1; j < len(key); j++ {
			if key[j] == '}' {
				if j == i+1 {
					return "", false
				}
				return key[i+1 : j], true
			}
		}
		return "", false
	}
	return "", false
}
