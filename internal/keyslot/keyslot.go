// Package keyslot computes Redis Cluster hash slots, the one definition
// the near cache, key splitting, replica routing and stampede leases
// share so that they all agree with the server's CLUSTER KEYSLOT.
package keyslot

import "strings"

// NumSlots is the number of hash slots of a Redis Cluster.
const NumSlots = 16384

// crcTable is the CRC-16/XMODEM table (polynomial 0x1021), computed once
// when the package is initialised rather than written out as literals.
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

// HashTag returns the part of key that Redis Cluster hashes instead of the
// whole key: the bytes between the first '{' and the first '}' after it,
// when there are any.
func HashTag(key string) (string, bool) {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return "", false
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return "", false
	}
	return key[i+1 : i+1+j], true
}

// Slot returns the hash slot of key, as CLUSTER KEYSLOT does: CRC16 of the
// key's hash tag, or of the whole key when it has none, modulo 16384.
func Slot(key string) int {
	if tag, ok := HashTag(key); ok {
		key = tag
	}
	return int(CRC16(key)) & (NumSlots - 1)
}
