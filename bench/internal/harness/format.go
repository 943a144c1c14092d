package harness

import (
	"fmt"
	"math"
	"strings"
)

// F0 formats v with no decimals and thousands separators ("12,345"), or
// as "—" if it is NaN (no run counted).
func F0(v float64) string { return fixed(v, "%.0f") }

// F1 is F0 with one decimal.
func F1(v float64) string { return fixed(v, "%.1f") }

// F2 is F0 with two decimals.
func F2(v float64) string { return fixed(v, "%.2f") }

func fixed(v float64, format string) string {
	if math.IsNaN(v) {
		return "—"
	}
	return commas(fmt.Sprintf(format, v))
}

// Fx formats a ratio ("1.25×"), or "—" if it is NaN or infinite (a
// figure missing on either side).
func Fx(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	return fmt.Sprintf("%.2f×", v)
}

// commas puts thousands separators into a formatted number.
func commas(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// WithRange formats a median with format, and with its spread over the
// rounds if there was more than one ("12,345 ±3 %"); "—" if no run
// counted.
func WithRange(s Stat, format func(float64) string) string {
	if s.N == 0 {
		return "—"
	}
	if s.N == 1 {
		return format(s.Med)
	}
	return fmt.Sprintf("%s ±%.0f %%", format(s.Med), s.Spread())
}

// Tail is the end of a program's output for an error message: s trimmed,
// and cut to its last 2,000 bytes.
func Tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}
