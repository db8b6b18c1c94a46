package command_test

import (
	"fmt"

	"github.com/redhot/redhot/command"
)

// The MONITOR sampler's use: which arguments of a command line are keys,
// and whether the command reads or writes each.
func ExampleTable_Keys() {
	tab := command.Builtin()
	for _, line := range [][]string{
		{"GET", "product:42"},
		{"SORT", "ids", "BY", "w_*", "GET", "o_*", "STORE", "sorted"},
		{"EVAL", "return 1", "2", "a", "b", "arg"},
		{"OBJECT", "FREQ", "product:42"},
		{"CLIENT", "LIST"},
	} {
		s := tab.Find(line)
		fmt.Printf("%-7s %-6s", s, s.Class())
		for _, k := range tab.Keys(line, nil) {
			fmt.Printf(" %s=%s", line[k.Pos], k.Access)
		}
		fmt.Println()
	}
	// Output:
	// get     read   product:42=read
	// sort    write  ids=read sorted=write
	// eval    write  a=write b=write
	// object|freq read   product:42=read
	// client|list admin
}

// The middleware's use: go-redis arguments, numbers included, and a dst
// reused across commands so that nothing is allocated.
func ExampleTable_KeysAny() {
	tab := command.Builtin()
	dst := make([]command.Key, 0, 8)
	args := []any{"zunionstore", "out", 2, "a", "b", "weights", 1, 2}
	dst = tab.KeysAny(args, dst)
	for _, k := range dst {
		fmt.Println(args[k.Pos], k.Access, k.Flags)
	}
	// Output:
	// out write OW|update
	// a read RO|access
	// b read RO|access
}
