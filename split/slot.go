package split

import "github.com/redhot/redhot/internal/keyslot"

// NumSlots is the number of hash slots of a Redis Cluster.
const NumSlots = keyslot.NumSlots

// CRC16 returns the CRC-16/XMODEM checksum of s (polynomial 0x1021, initial
// value 0, no reflection, no final XOR), the checksum Redis Cluster hashes
// keys with. CRC16("123456789") is 0x31C3.
func CRC16(s string) uint16 { return keyslot.CRC16(s) }

// Slot returns the Redis Cluster hash slot of key, as CLUSTER KEYSLOT does:
// CRC16 of the key's hash tag (the bytes between the first '{' and the
// first '}' after it, if that is not empty) or else of the whole key,
// modulo 16384.
func Slot(key string) int { return keyslot.Slot(key) }
