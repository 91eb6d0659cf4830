package attr

import (
	"math/big"
	"strings"
)

// Num is a DynamoDB number: (-1)^Neg × Digits × 10^Exp, with Digits a
// decimal string with no leading or trailing zeroes ("" for zero).
type Num struct {
	Neg    bool
	Digits string
	Exp    int
}

const (
	maxDigits = 38
	minAdjExp = -130 // 1E-130
	maxAdjExp = 125  // 9.99..E+125
)

// ParseNum parses a number as DynamoDB accepts it and checks its
// precision and range.
func ParseNum(s string) (Num, error) {
	n, ok := parseNum(s)
	if !ok {
		return Num{}, errorf("A value provided cannot be converted into a number")
	}
	return n, n.check()
}

func parseNum(s string) (Num, bool) {
	var n Num
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		n.Neg = s[i] == '-'
		i++
	}
	var digits []byte
	seenDigit, seenPoint := false, false
	frac := 0
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			seenDigit = true
			digits = append(digits, c)
			if seenPoint {
				frac++
			}
		case c == '.' && !seenPoint:
			seenPoint = true
		default:
			goto exp
		}
	}
exp:
	if !seenDigit {
		return Num{}, false
	}
	e := 0
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return Num{}, false
		}
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return Num{}, false
		}
		for ; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return Num{}, false
			}
			if e < 100000 {
				e = e*10 + int(c-'0')
			}
		}
		if eneg {
			e = -e
		}
	}
	d := strings.TrimLeft(string(digits), "0")
	t := strings.TrimRight(d, "0")
	n.Exp = e - frac + (len(d) - len(t))
	n.Digits = t
	if t == "" {
		n.Neg, n.Exp = false, 0
	}
	return n, true
}

// check applies DynamoDB's precision and range limits.
func (n Num) check() error {
	if n.Digits == "" {
		return nil
	}
	if len(n.Digits) > maxDigits {
		return errorf("Attempting to store more than 38 significant digits in a Number")
	}
	adj := n.Exp + len(n.Digits) - 1
	if adj > maxAdjExp {
		return errorf("Number overflow. Attempting to store a number with magnitude larger than supported range")
	}
	if adj < minAdjExp {
		return errorf("Number underflow. Attempting to store a number with magnitude smaller than supported range")
	}
	return nil
}

// String is the canonical text: plain notation, no exponent, trimmed.
func (n Num) String() string {
	if n.Digits == "" {
		return "0"
	}
	var b strings.Builder
	if n.Neg {
		b.WriteByte('-')
	}
	switch p := len(n.Digits) + n.Exp; {
	case n.Exp >= 0:
		b.WriteString(n.Digits)
		b.WriteString(strings.Repeat("0", n.Exp))
	case p > 0:
		b.WriteString(n.Digits[:p])
		b.WriteByte('.')
		b.WriteString(n.Digits[p:])
	default:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -p))
		b.WriteString(n.Digits)
	}
	return b.String()
}

// Cmp compares numerically: -1, 0 or +1.
func (n Num) Cmp(m Num) int {
	sn, sm := n.sign(), m.sign()
	if sn != sm {
		if sn < sm {
			return -1
		}
		return 1
	}
	if sn == 0 {
		return 0
	}
	c := cmpAbs(n, m)
	if sn < 0 {
		return -c
	}
	return c
}

func (n Num) sign() int {
	switch {
	case n.Digits == "":
		return 0
	case n.Neg:
		return -1
	}
	return 1
}

func cmpAbs(n, m Num) int {
	an, am := n.Exp+len(n.Digits), m.Exp+len(m.Digits)
	if an != am {
		if an < am {
			return -1
		}
		return 1
	}
	// Same magnitude: compare digit strings, the shorter padded with zeroes.
	for i := 0; i < len(n.Digits) || i < len(m.Digits); i++ {
		a, b := byte('0'), byte('0')
		if i < len(n.Digits) {
			a = n.Digits[i]
		}
		if i < len(m.Digits) {
			b = m.Digits[i]
		}
		if a != b {
			if a < b {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Add returns n+m, checked against the limits.
func (n Num) Add(m Num) (Num, error) {
	if n.Digits == "" {
		return m, nil
	}
	if m.Digits == "" {
		return n, nil
	}
	e := min(n.Exp, m.Exp)
	a, b := n.scaled(e), m.scaled(e)
	a.Add(a, b)
	r := fromBig(a, e)
	return r, r.check()
}

// Neg returns -n.
func (n Num) Negate() Num {
	if n.Digits != "" {
		n.Neg = !n.Neg
	}
	return n
}

func (n Num) scaled(e int) *big.Int {
	v, _ := new(big.Int).SetString(n.Digits, 10)
	if d := n.Exp - e; d > 0 {
		v.Mul(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d)), nil))
	}
	if n.Neg {
		v.Neg(v)
	}
	return v
}

func fromBig(v *big.Int, e int) Num {
	s := v.String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	t := strings.TrimRight(s, "0")
	r := Num{Neg: neg, Digits: t, Exp: e + len(s) - len(t)}
	if t == "" {
		return Num{}
	}
	return r
}
