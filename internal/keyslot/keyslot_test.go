package keyslot

import "testing"

func TestCRC16(t *testing.T) {
	if got := CRC16("123456789"); got != 0x31C3 {
		t.Errorf("CRC16(123456789) = %#x; want 0x31c3", got)
	}
}

func TestSlot(t *testing.T) {
	// Values from the Redis Cluster specification and CLUSTER KEYSLOT.
	tests := []struct {
		key  string
		slot int
	}{
		{"123456789", 0x31C3 % NumSlots},
		{"foo", 12182},
		{"bar", 5061},
		{"{user1000}.following", 3443},
		{"", 0},
		{"{user1000}.following", Slot("user1000")},
		{"{user1000}.followers", Slot("user1000")},
		{"foo{}{bar}", Slot("foo{}{bar}")},
		{"foo{{bar}}zap", Slot("{bar")},
		{"foo{bar}{zap}", Slot("bar")},
	}
	for _, tt := range tests {
		if got := Slot(tt.key); got != tt.slot {
			t.Errorf("Slot(%q) = %d; want %d", tt.key, got, tt.slot)
		}
	}
}

func TestHashTag(t *testing.T) {
	tests := []struct {
		key, tag string
		ok       bool
	}{
		{"plain", "", false},
		{"user:{42}:profile", "42", true},
		{"{}empty", "", false},
		{"{a}{b}", "a", true},
		{"open{only", "", false},
		{"}{x}", "x", true},
		{"a{}b{c}", "", false},
		{"{{x}}", "{x", true},
	}
	for _, tt := range tests {
		if tag, ok := HashTag(tt.key); tag != tt.tag || ok != tt.ok {
			t.Errorf("HashTag(%q) = %q, %v; want %q, %v", tt.key, tag, ok, tt.tag, tt.ok)
		}
	}
}
