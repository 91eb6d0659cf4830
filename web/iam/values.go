package iam

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// parseNumber reads a decimal number: an optional '-', digits, an optional
// fraction and exponent. NaN, infinities, hex and '_' separators, which
// strconv would take, are refused.
func parseNumber(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			digits++
		case c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E':
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// parseDate reads an ISO 8601 date or time (UTC when it names no zone) or
// epoch seconds, possibly with a fraction.
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if isEpoch(s) {
		f, ok := parseNumber(s)
		sec, frac := math.Modf(f)
		if !ok || sec > 1e15 || sec < -1e15 {
			return time.Time{}, false
		}
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
	}
	// The ISO 8601 forms a date may take, most common first; without a zone
	// it is UTC.
	layouts := [...]string{
		time.RFC3339Nano,
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04",
		"2006-01-02",
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// isEpoch reports whether s is shaped like epoch seconds: digits with an
// optional leading '-' and an optional fraction.
func isEpoch(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	return whole != "" && strings.Trim(whole, "0123456789") == "" && strings.Trim(frac, "0123456789") == ""
}

// parseBool reads true or false in any case.
func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// parsePrefix reads a CIDR range or a single address (a range of one).
func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() {
			bits := p.Bits() - 96
			if bits < 0 {
				return netip.Prefix{}, false
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), bits)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a.WithZone(""), a.BitLen()), true
}

// splitARN splits a policy's ARN value into its six parts: at the first
// five colons that are not inside a policy variable. Fewer parts mean it is
// no ARN.
func splitARN(s string, vars bool) []string {
	var parts []string
	start, depth := 0, 0
	for i := 0; i < len(s) && len(parts) < 5; i++ {
		switch {
		case vars && s[i] == '$' && i+1 < len(s) && s[i+1] == '{':
			depth++
			i++
		case depth > 0 && s[i] == '}':
			depth--
		case depth == 0 && s[i] == ':':
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// splitRequestARN splits a request's ARN into parts, reporting whether it
// has all six.
func splitRequestARN(s string, parts *[6]string) bool {
	for i := 0; i < 5; i++ {
		before, after, ok := strings.Cut(s, ":")
		if !ok {
			return false
		}
		parts[i], s = before, after
	}
	parts[5] = s
	return true
}
