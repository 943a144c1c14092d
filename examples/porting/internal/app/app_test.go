package app_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/weftio/weft/examples/porting/internal/app"
)

func TestParse(t *testing.T) {
	items, err := app.Parse([]byte("# comment\n\n 3 bolt \n12\tnut\n"))
	want := []app.Item{{"bolt", 3}, {"nut", 12}}
	if err != nil || !reflect.DeepEqual(items, want) {
		t.Fatalf("Parse = %v, %v; want %v", items, err, want)
	}
	for _, bad := range []string{"3\n", "3 bolt extra\n", "x bolt\n", "0 bolt\n", "-1 bolt\n"} {
		var pe *app.ParseError
		if _, err := app.Parse([]byte(bad)); !errors.As(err, &pe) || pe.Line != 1 {
			t.Errorf("Parse(%q) = %v, want a *ParseError for line 1", bad, err)
		}
	}
}

func TestRetryable(t *testing.T) {
	unavailable := &app.PriceError{SKU: "bolt", Err: app.ErrUnavailable}
	unknown := &app.PriceError{SKU: "gizmo", Err: app.ErrUnknownSKU}
	if !app.Retryable(unavailable) || app.Retryable(unknown) {
		t.Fatal("want unavailable retried and unknown not")
	}
}

func TestFormatSortsAndStripsWrapping(t *testing.T) {
	wrapped := errors.Join(errors.New("gave up"), &app.PriceError{SKU: "gizmo", Err: app.ErrUnknownSKU})
	got := app.Format([]app.Line{
		{Name: "b", Items: 1, Units: 2, Cents: 305},
		{Name: "a", Err: wrapped},
	}, app.Stats{Calls: 3, Unavailable: 1})
	want := `a          error: price of "gizmo": unknown sku
b          1 items, 2 units, $3.05
total: 1 files priced, 1 failed, $3.05
price service: 3 calls, 1 unavailable, 0 slow
`
	if got != want {
		t.Fatalf("Format =\n%s\nwant\n%s", got, want)
	}
}
