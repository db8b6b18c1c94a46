package split

import (
	"strconv"
	"sync"
)

// Tag returns the hash tag redhot uses to put a key on slot: the decimal
// form of the smallest non-negative integer t whose CRC16 (of its decimal
// digits, as a string) modulo 16384 is slot. So Slot("x{"+Tag(s)+"}") == s
// for every slot s. Tags have at most six digits (the largest, for slot
// 1469, is 109757); Tag(0) is "3560", Tag(1) is "22179" and Tag(16383) is
// "39296". Tag panics if slot is out of [0, 16384).
//
// Another language computes the same tag by counting t up from 0 until
// CRC16(str(t)) % 16384 == slot.
func Tag(slot int) string {
	if slot < 0 || slot >= NumSlots {
		panic("split: Tag: slot " + strconv.Itoa(slot) + " out of range [0, 16384)")
	}
	return strconv.FormatUint(uint64(tagTable()[slot]), 10)
}

// tagTable returns, for every slot, the integer whose decimal form is the
// slot's tag. The table is a pure function of nothing, built on first use
// (about 110,000 CRCs, a few milliseconds) and never changed: a memoised
// constant, not state.
var tagTable = sync.OnceValue(func() *[NumSlots]uint32 {
	var t [NumSlots]uint32
	var found [NumSlots]bool
	left := NumSlots
	var buf [20]byte
	for n := uint64(0); left > 0; n++ {
		s := int(CRC16(string(strconv.AppendUint(buf[:0], n, 10)))) & (NumSlots - 1)
		if !found[s] {
			found[s] = true
			t[s] = uint32(n)
			left--
		}
	}
	return &t
})
