package storebench

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteText renders the report as a table followed by the two ratios the
// performance targets are stated in.
func (r Report) WriteText(w io.Writer) error {
	o := r.Options
	fmt.Fprintf(w, "machine: %d CPUs, %s, %s\n", r.CPUs, r.CPUModel, r.GoVersion)
	fmt.Fprintf(w, "workload: %d events (%d for 1 writer), %d writers, %d streams, ~%d-byte JSON data, dir %s\n\n",
		o.Events, o.singleEvents(), o.Writers, o.Streams, o.EventSize, o.Dir)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "measurement\tevents\tseconds\tevents/s\t")
	for _, res := range r.Results {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.0f\t\n", res.Name, res.Events, res.Elapsed.Seconds(), res.PerSecond())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if raw, ok := r.Result(RawGrouped); ok {
		if sq, ok := r.Result(SQLiteGrouped); ok && raw.PerSecond() > 0 {
			fmt.Fprintf(w, "\nsqlite concurrent / raw grouped: %.0f%%\n", 100*sq.PerSecond()/raw.PerSecond())
		}
	}
	if raw, ok := r.Result(RawSingle); ok {
		if sq, ok := r.Result(SQLiteSingle); ok && raw.PerSecond() > 0 {
			_, err := fmt.Fprintf(w, "sqlite 1 writer / raw 1 writer: %.0f%%\n", 100*sq.PerSecond()/raw.PerSecond())
			return err
		}
	}
	return nil
}
