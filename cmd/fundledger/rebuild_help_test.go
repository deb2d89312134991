package main

import (
	"fmt"
	"testing"

	"github.com/haixi-hrss/fundledger/ledger/datadir"
)

// TestRebuildHelpNamesEveryReadModel: rebuild --help names each read
// model the ledger keeps, and how many there are.
func TestRebuildHelpNamesEveryReadModel(t *testing.T) {
	h := cli(t, "rebuild", "--help")
	h.wantCode(t, exitOK)
	views := datadir.NewViews().All()
	h.wantOut(t, fmt.Sprintf("The %d read models: ", len(views)))
	for _, v := range views {
		h.wantOut(t, v.Name())
	}
}
