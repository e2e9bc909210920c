package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A variable named twice in the table would be read twice, the second
// read silently winning.
func TestSettingsNameEachVariableOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range settings {
		if seen[s.name] {
			t.Errorf("%s has two rows", s.name)
		}
		seen[s.name] = true
	}
}

// Each malformed pair of LOCATION_CURRENCIES is a line of its own, and the
// well-formed pairs are kept beside them.
func TestLocationCurrenciesKeepsGoodPairs(t *testing.T) {
	c, err := Load(map[string]string{"LOCATION_CURRENCIES": "locA=EUR, locB:GBP, locC=usd"})
	if err == nil {
		t.Fatal("Load: nil error")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{
		`LOCATION_CURRENCIES: "locB:GBP" is not locationId=CODE (e.g. ve9EPM428h8vShlRW1KT=EUR; codes are ISO 4217, three capital letters)`,
		`LOCATION_CURRENCIES: "locC=usd" is not locationId=CODE (e.g. ve9EPM428h8vShlRW1KT=EUR; codes are ISO 4217, three capital letters)`,
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"locA": "EUR"}, c.LocationCurrencies); diff != "" {
		t.Errorf("kept pairs (-want +got):\n%s", diff)
	}
}
