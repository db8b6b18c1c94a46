package top

import (
	"io"

	"github.com/redhot/redhot/dashboard"
)

// PlainWidth is the line width of WritePlain's tables.
const PlainWidth = 120

// WritePlain writes a snapshot as plain text, without escape codes, for a
// standard output that is not a terminal: the title with the sample's
// time, the traffic, every key of the snapshot and its ten newest events,
// then a blank line.
func WritePlain(w io.Writer, s *dashboard.Snapshot, title string, st Status) error {
	text := layout{snap: s, status: st, title: title, width: PlainWidth}.String()
	_, err := io.WriteString(w, text+"\n\n")
	return err
}
