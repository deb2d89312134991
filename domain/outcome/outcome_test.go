package outcome

import (
	"errors"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
)

func TestCompletion(t *testing.T) {
	tests := []struct {
		actual, target int64
		want           string
	}{
		{3189, 11300, "28.22"},  // Haixi new urban jobs to end of March
		{31091, 80000, "38.86"}, // Haixi labour transfer, 38.86375 rounds down
		{1, 8, "12.5"},          // 12.5 exactly
		{1, 3, "33.33"},
		{2, 3, "66.67"},
		{1, 16, "6.25"},
		{1, 160, "0.63"}, // 0.625 rounds half-up
		{0, 100, "0"},
		{120, 100, "120"},
	}
	for _, tt := range tests {
		got, err := Completion(tt.actual, tt.target)
		if err != nil || got.String() != tt.want {
			t.Errorf("Completion(%d, %d) = %s, %v; want %s", tt.actual, tt.target, got, err, tt.want)
		}
	}
	if got, _ := Completion(3189, 11300); got.StringFixed(2) != "28.22" {
		t.Errorf("printed with two decimals: %s", got.StringFixed(2))
	}
	for _, bad := range [][2]int64{{1, 0}, {1, -5}, {-1, 10}} {
		if _, err := Completion(bad[0], bad[1]); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Completion(%d, %d) error = %v, want ErrInvalid", bad[0], bad[1], err)
		}
	}
}

func TestParseIndicator(t *testing.T) {
	if i, err := ParseIndicator("indicator", "new-urban-jobs"); err != nil || i != NewUrbanJobs {
		t.Fatalf("ParseIndicator = %s, %v", i, err)
	}
	if _, err := ParseIndicator("indicator", "gdp"); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("ParseIndicator(gdp) error = %v", err)
	}
}
