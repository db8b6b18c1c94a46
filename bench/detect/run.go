package detect

import (
	"encoding/json"
	"fmt"
	"io"
)

// Run runs every workload of cfg and writes one JSON object per line to w:
// for each Zipf workload the tracker against decayed exact counts, then
// the plain-count comparison with the peers; last the step change.
func Run(cfg Config, w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, s := range []float64{1.0, 1.2, 0.9} {
		tr, err := newTrace(cfg, s)
		if err != nil {
			return err
		}
		res, err := runZipfDecayed(cfg, tr)
		if err != nil {
			return fmt.Errorf("%s: %w", tr.name, err)
		}
		if err := speed(cfg, tr, &res); err != nil {
			return fmt.Errorf("%s speed: %w", tr.name, err)
		}
		if err := enc.Encode(res); err != nil {
			return err
		}
		ps, err := runPeers(cfg, tr)
		if err != nil {
			return fmt.Errorf("%s peers: %w", tr.name, err)
		}
		for _, p := range ps {
			if err := enc.Encode(p); err != nil {
				return err
			}
		}
	}
	res, err := runStep(cfg)
	if err != nil {
		return fmt.Errorf("step: %w", err)
	}
	return enc.Encode(res)
}
