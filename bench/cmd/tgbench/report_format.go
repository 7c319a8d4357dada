package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Number formats.
func fRate(v float64) string {
	if math.IsNaN(v) || v == 0 {
		return "—"
	}
	return groupDigits(int64(math.Round(v)))
}

func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func fMS(v float64) string {
	switch {
	case math.IsNaN(v) || v == 0:
		return "—"
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func fRatio(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0) || v == 0:
		return "—"
	case v < 0.1: // two significant digits, not 0.00×
		return strconv.FormatFloat(v, 'g', 2, 64) + "×"
	}
	return fmt.Sprintf("%.2f×", v)
}

func fTrips(v float64) string {
	if v > 0 && v < 0.1 {
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.2f", v)
}
