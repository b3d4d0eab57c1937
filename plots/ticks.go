package plots

import (
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
)

// niceTicks places major ticks at multiples of 1, 2 or 5 times a power of
// ten, the smallest such step that gives at most maxMajor intervals over
// the axis range, and minor ticks between them (fifths of a 1 or 5 step,
// quarters of a 2 step). All labels of an axis have the same number of
// decimals. With integer set, the step is at least 1 (epochs, steps).
type niceTicks struct {
	integer bool
}

// maxMajor is the largest number of intervals between major ticks; with
// the 10 pt tick labels of the default figure size the longest labels
// ("1000.0") stay well apart.
const maxMajor = 6

// niceStep returns the smallest step of the form {1, 2, 5}·10^k that is at
// least raw, with the multiplier and the exponent.
func niceStep(raw float64) (step, mult float64, exp int) {
	exp = int(math.Floor(math.Log10(raw)))
	mag := math.Pow(10, float64(exp))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw*(1-1e-9) {
			if m == 10 {
				return 10 * mag, 1, exp + 1
			}
			return m * mag, m, exp
		}
	}
	panic("unreachable")
}

// Ticks implements plot.Ticker.
func (t niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil
	}
	step, mult, exp := niceStep((hi - lo) / maxMajor)
	if t.integer && step < 1 {
		step, mult, exp = 1, 1, 0
	}
	minor := step / 5
	if mult == 2 {
		minor = step / 4
	}
	format := tickFormat(step, exp, math.Max(math.Abs(lo), math.Abs(hi)))
	var ticks []plot.Tick
	// Walk in units of the minor step from an integer start, so that major
	// positions are exact multiples and do not drift.
	per := int(math.Round(step / minor))
	first := int(math.Ceil(lo/minor - 1e-9))
	last := int(math.Floor(hi/minor + 1e-9))
	for i := first; i <= last; i++ {
		v := float64(i) * minor
		if i%per == 0 {
			ticks = append(ticks, plot.Tick{Value: v, Label: format(v)})
		} else {
			ticks = append(ticks, plot.Tick{Value: v})
		}
	}
	return ticks
}

// tickFormat returns the label formatter for ticks of the given step
// (10^exp times 1, 2 or 5) on an axis whose largest magnitude is big.
// Fixed-point with as many decimals as the step needs, or, for steps below
// 10^-3 and magnitudes of 10^6 and more, the shortest exponent form
// ("2e-4", "1.5e6").
func tickFormat(step float64, exp int, big float64) func(float64) string {
	if exp < -3 || big >= 1e6 {
		return func(v float64) string {
			if math.Abs(v) < step/2 {
				return "0"
			}
			// Mantissa digits: those of the step's place and above.
			prec := max(0, int(math.Floor(math.Log10(math.Abs(v))))-exp)
			s := strconv.FormatFloat(v, 'e', prec, 64)
			mant, e, _ := strings.Cut(s, "e")
			if strings.Contains(mant, ".") {
				mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
			}
			n, _ := strconv.Atoi(e)
			return mant + "e" + strconv.Itoa(n)
		}
	}
	dec := max(0, -exp)
	return func(v float64) string {
		if math.Abs(v) < step/2 {
			v = 0 // no "-0.0"
		}
		return strconv.FormatFloat(v, 'f', dec, 64)
	}
}
