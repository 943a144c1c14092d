package app

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// An Item is one line of an input file: so many units of a part.
type Item struct {
	SKU string
	Qty int
}

// A ParseError says which line of an input file is wrong, and how.
type ParseError struct {
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Parse reads an input file: one "quantity part" per line; blank lines and
// lines starting with # are skipped.
func Parse(data []byte) ([]Item, error) {
	var items []Item
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, &ParseError{n, fmt.Sprintf("want \"quantity part\", got %q", line)}
		}
		qty, err := strconv.Atoi(fields[0])
		if err != nil || qty <= 0 {
			return nil, &ParseError{n, fmt.Sprintf("quantity %q is not a positive number", fields[0])}
		}
		items = append(items, Item{SKU: fields[1], Qty: qty})
	}
	return items, sc.Err()
}

// Retryable says whether a failed lookup is worth another attempt: a
// timeout or an unavailable service may clear up, an unknown part will not.
// It compares with errors.Is, never by message, because each version
// wraps errors its own way on their way up.
func Retryable(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)
}

// A Line is the outcome for one input file: what it holds and what that is
// worth, or why it could not be priced.
type Line struct {
	Name  string
	Items int   // lines in the file
	Units int   // units in all
	Cents int   // their value
	Err   error // if set, the rest is unset
}

// Sum makes the Line of a file whose items were all priced; amounts[i] is
// the value of items[i] in cents.
func Sum(name string, items []Item, amounts []int) Line {
	l := Line{Name: name, Items: len(items)}
	for i, it := range items {
		l.Units += it.Qty
		l.Cents += amounts[i]
	}
	return l
}

// Format renders the report: one line per file, sorted by name (the
// versions finish files in different orders), then the totals and what
// the price service did.
func Format(lines []Line, s Stats) string {
	lines = slices.Clone(lines)
	slices.SortFunc(lines, func(a, b Line) int { return strings.Compare(a.Name, b.Name) })
	var b strings.Builder
	var priced, failed, cents int
	for _, l := range lines {
		if l.Err != nil {
			failed++
			fmt.Fprintf(&b, "%-10s error: %s\n", l.Name, reason(l.Err))
			continue
		}
		priced++
		cents += l.Cents
		fmt.Fprintf(&b, "%-10s %d items, %d units, %s\n", l.Name, l.Items, l.Units, dollars(l.Cents))
	}
	fmt.Fprintf(&b, "total: %d files priced, %d failed, %s\n", priced, failed, dollars(cents))
	fmt.Fprintf(&b, "price service: %d calls, %d unavailable, %d slow\n", s.Calls, s.Unavailable, s.Slow)
	return b.String()
}

// reason is what the report says about a failure: the error this package
// made, without what each version wrapped around it on the way up (Retry,
// for one, adds "gave up after n attempts"). The report must read the same
// whichever version wrote it.
func reason(err error) string {
	var pe *ParseError
	if errors.As(err, &pe) {
		return pe.Error()
	}
	var pre *PriceError
	if errors.As(err, &pre) {
		return pre.Error()
	}
	return err.Error()
}

func dollars(cents int) string { return fmt.Sprintf("$%d.%02d", cents/100, cents%100) }
