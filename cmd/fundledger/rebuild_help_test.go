package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/ledger/datadir"
)

// TestRebuildHelpNamesEveryReadModel: rebuild --help names each read
// model the ledger keeps, and how many there are. The names are the ones
// operators see in the snapshot and the docs, written out here so a
// renamed, dropped or added model changes the help visibly.
func TestRebuildHelpNamesEveryReadModel(t *testing.T) {
	want := []string{"budgets", "claims", "trail", "performance", "payment-batches", "anomalies", "unfinished-processes"}
	var names []string
	for _, v := range datadir.NewViews().All() {
		names = append(names, v.Name())
	}
	if !slices.Equal(names, want) {
		t.Errorf("the ledger's read models are %v, want %v", names, want)
	}
	h := cli(t, "rebuild", "--help")
	h.wantCode(t, exitOK)
	h.wantOut(t, fmt.Sprintf("The %d read models: %s.", len(want), strings.Join(want, ", ")))
}
