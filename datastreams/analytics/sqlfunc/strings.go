package sqlfunc

import (
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

func addStrings(l *Library) {
	l.add(&Func{Name: "CHAR_LENGTH", Check: func(args []Arg) (sqltypes.Type, error) {
		if err := wantArgs("CHAR_LENGTH", args, 1, 1); err != nil {
			return sqltypes.Type{}, err
		}
		if k := args[0].Type.Kind; !k.IsString() && !k.IsBinary() && k != sqltypes.Null {
			return sqltypes.Type{}, argError("CHAR_LENGTH", 0, "want a character string, got %s", args[0].Type)
		}
		return typ(sqltypes.Integer), nil
	}, Eval: strict(sqltypes.Integer, func(a []sqltypes.Value) (sqltypes.Value, error) {
		if a[0].K.IsBinary() {
			return sqltypes.Int(int64(len(a[0].S))), nil
		}
		return sqltypes.Int(int64(utf8.RuneCountInString(a[0].S))), nil
	})})
	l.alias("CHARACTER_LENGTH", "CHAR_LENGTH")
	for name, fn := range map[string]func(string) string{
		"UPPER":   strings.ToUpper,
		"LOWER":   strings.ToLower,
		"INITCAP": initcap,
	} {
		l.add(&Func{Name: name, Check: sameStringCheck(name), Eval: strict(sqltypes.Varchar, func(a []sqltypes.Value) (sqltypes.Value, error) {
			return sqltypes.Value{K: a[0].K, S: fn(a[0].S)}, nil
		})})
	}
	l.add(&Func{Name: "SUBSTRING", Check: substringCheck, Eval: strict(sqltypes.Varchar, substringEval)})
	l.add(&Func{Name: "POSITION", Check: func(args []Arg) (sqltypes.Type, error) {
		if err := wantArgs("POSITION", args, 2, 3); err != nil {
			return sqltypes.Type{}, err
		}
		for i := 0; i < 2; i++ {
			if err := wantString("POSITION", args, i); err != nil {
				return sqltypes.Type{}, err
			}
		}
		if len(args) == 3 {
			if err := wantInteger("POSITION", args, 2); err != nil {
				return sqltypes.Type{}, err
			}
		}
		return typ(sqltypes.Integer), nil
	}, Eval: strict(sqltypes.Integer, func(a []sqltypes.Value) (sqltypes.Value, error) {
		if len(a) == 3 {
			// POSITION(needle, haystack, start): search from the start-th
			// character; the result still counts from the first
			start := max(a[2].I, 1)
			n := int64(utf8.RuneCountInString(a[1].S))
			if start > n+1 {
				return sqltypes.Int(0), nil
			}
			skip := len(truncateRunes(a[1].S, int(start-1)))
			p := position(a[0].S, a[1].S[skip:])
			if p == 0 {
				return sqltypes.Int(0), nil
			}
			return sqltypes.Int(int64(p) + start - 1), nil
		}
		return sqltypes.Int(int64(position(a[0].S, a[1].S))), nil
	})})
	l.add(&Func{Name: "TRIM", Check: trimCheck, Eval: strict(sqltypes.Varchar, trimEval)})
	l.add(&Func{Name: "OVERLAY", Check: overlayCheck, Eval: strict(sqltypes.Varchar, overlayEval)})
}

// sameStringCheck accepts one character string and returns VARCHAR of its
// length.
func sameStringCheck(name string) func([]Arg) (sqltypes.Type, error) {
	return func(args []Arg) (sqltypes.Type, error) {
		if err := wantArgs(name, args, 1, 1); err != nil {
			return sqltypes.Type{}, err
		}
		if err := wantString(name, args, 0); err != nil {
			return sqltypes.Type{}, err
		}
		t := args[0].Type
		if t.Kind == sqltypes.Null {
			return varchar, nil
		}
		return sqltypes.Type{Kind: t.Kind, Len: t.Len}, nil
	}
}

// initcap upper-cases the first character of each space-delimited word
// and lower-cases the others.
func initcap(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for _, r := range s {
		switch {
		case r == ' ':
			start = true
		case start:
			r, start = unicode.ToUpper(r), false
		default:
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func substringCheck(args []Arg) (sqltypes.Type, error) {
	if err := wantArgs("SUBSTRING", args, 2, 3); err != nil {
		return sqltypes.Type{}, err
	}
	k := args[0].Type.Kind
	if !k.IsString() && !k.IsBinary() && k != sqltypes.Null {
		return sqltypes.Type{}, argError("SUBSTRING", 0, "want a character string, got %s", args[0].Type)
	}
	for i := 1; i < len(args); i++ {
		if err := wantInteger("SUBSTRING", args, i); err != nil {
			return sqltypes.Type{}, err
		}
	}
	switch {
	case k.IsBinary():
		return sqltypes.Type{Kind: sqltypes.Varbinary, Len: args[0].Type.Len}, nil
	case k == sqltypes.Null:
		return varchar, nil
	}
	return sqltypes.Type{Kind: sqltypes.Varchar, Len: args[0].Type.Len}, nil
}

// substringBounds is the [from, to) of SUBSTRING(start FOR length) over n
// items: a start below 1 shortens the length by what lies before 1.
func substringBounds(n int, start int64, length int64, hasLength bool) (int, int, error) {
	if hasLength && length < 0 {
		return 0, 0, fmt.Errorf("SUBSTRING: negative length %d", length)
	}
	from := start - 1
	if start == math.MinInt64 {
		from = start
	}
	to := int64(n)
	if hasLength && (from < 0 || length <= math.MaxInt64-from) {
		to = min(to, from+length)
	}
	from = max(from, 0)
	if from >= to {
		return 0, 0, nil
	}
	return int(from), int(to), nil
}

func substringEval(a []sqltypes.Value) (sqltypes.Value, error) {
	var length int64
	hasLength := len(a) == 3
	if hasLength {
		length = a[2].I
	}
	if a[0].K.IsBinary() {
		from, to, err := substringBounds(len(a[0].S), a[1].I, length, hasLength)
		if err != nil {
			return sqltypes.Value{}, err
		}
		return sqltypes.Value{K: sqltypes.Varbinary, S: a[0].S[from:to]}, nil
	}
	r := []rune(a[0].S)
	from, to, err := substringBounds(len(r), a[1].I, length, hasLength)
	if err != nil {
		return sqltypes.Value{}, err
	}
	return sqltypes.Str(string(r[from:to])), nil
}

// position is the 1-based character index of needle in haystack, 0 when
// absent, 1 for an empty needle.
func position(needle, haystack string) int {
	i := strings.Index(haystack, needle)
	if i < 0 {
		return 0
	}
	return utf8.RuneCountInString(haystack[:i]) + 1
}

// TRIM's arguments: TRIM(s), or TRIM(mode, char, s) with mode 'BOTH',
// 'LEADING' or 'TRAILING' (a constant) and char the one character whose
// repetitions are removed.
func trimCheck(args []Arg) (sqltypes.Type, error) {
	switch len(args) {
	case 1:
		if err := wantString("TRIM", args, 0); err != nil {
			return sqltypes.Type{}, err
		}
	case 3:
		mode, err := constString("TRIM", args, 0)
		if err != nil {
			return sqltypes.Type{}, err
		}
		switch strings.ToUpper(mode) {
		case "BOTH", "LEADING", "TRAILING":
		default:
			return sqltypes.Type{}, argError("TRIM", 0, "want BOTH, LEADING or TRAILING, got %q", mode)
		}
		for i := 1; i < 3; i++ {
			if err := wantString("TRIM", args, i); err != nil {
				return sqltypes.Type{}, err
			}
		}
		if c := args[1].Const; c != nil && !c.Null && utf8.RuneCountInString(c.S) != 1 {
			return sqltypes.Type{}, argError("TRIM", 1, "the trim character must be one character, got %q", c.S)
		}
	default:
		return sqltypes.Type{}, countError("TRIM", len(args), "1 or 3")
	}
	t := args[len(args)-1].Type
	return sqltypes.Type{Kind: sqltypes.Varchar, Len: t.Len}, nil
}

func trimEval(a []sqltypes.Value) (sqltypes.Value, error) {
	if len(a) == 1 {
		return sqltypes.Str(strings.Trim(a[0].S, " ")), nil
	}
	chars, s := a[1].S, a[2].S
	if utf8.RuneCountInString(chars) != 1 {
		return sqltypes.Value{}, fmt.Errorf("TRIM: the trim character must be one character, got %q", chars)
	}
	switch strings.ToUpper(a[0].S) {
	case "LEADING":
		return sqltypes.Str(strings.TrimLeft(s, chars)), nil
	case "TRAILING":
		return sqltypes.Str(strings.TrimRight(s, chars)), nil
	}
	return sqltypes.Str(strings.Trim(s, chars)), nil
}

// OVERLAY(s, r, p[, n]): s with n characters from position p replaced by
// r (n defaults to r's length).
func overlayCheck(args []Arg) (sqltypes.Type, error) {
	if err := wantArgs("OVERLAY", args, 3, 4); err != nil {
		return sqltypes.Type{}, err
	}
	for i := 0; i < 2; i++ {
		if err := wantString("OVERLAY", args, i); err != nil {
			return sqltypes.Type{}, err
		}
	}
	for i := 2; i < len(args); i++ {
		if err := wantInteger("OVERLAY", args, i); err != nil {
			return sqltypes.Type{}, err
		}
	}
	return varchar, nil
}

func overlayEval(a []sqltypes.Value) (sqltypes.Value, error) {
	s, r := []rune(a[0].S), a[1].S
	p := a[2].I
	n := int64(utf8.RuneCountInString(r))
	if len(a) == 4 {
		n = a[3].I
	}
	if n < 0 {
		return sqltypes.Value{}, fmt.Errorf("OVERLAY: negative length %d", n)
	}
	// A start below 1 overlays from before the string: the replacement's
	// first 1-p characters come first, the rest cover the original.
	size := int64(len(s))
	clamp := func(i int64) int64 { return max(0, min(i, size)) }
	from := max(p, math.MinInt64+1) - 1
	head := clamp(from)
	var tail int64
	if from > 0 && n > math.MaxInt64-from {
		tail = size
	} else {
		tail = clamp(from + n)
	}
	return sqltypes.Str(string(s[:head]) + r + string(s[tail:])), nil
}
