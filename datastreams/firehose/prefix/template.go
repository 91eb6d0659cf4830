package prefix

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Namespaces of the expressions a prefix may hold.
const (
	nsTimestamp     = "timestamp"
	nsFirehose      = "firehose"
	nsKeyFromQuery  = "partitionKeyFromQuery"
	nsKeyFromLambda = "partitionKeyFromLambda"

	randomString    = "random-string"
	errorOutputType = "error-output-type"
)

type partKind int

const (
	partLiteral partKind = iota
	partTimestamp
	partRandom
	partErrorType
	partKeyFromQuery
	partKeyFromLambda
)

// part is a literal run of a template or one !{namespace:value} expression.
type part struct {
	kind   partKind
	text   string // the literal, or the partition key's name
	layout layout // for timestamps
}

// template is a parsed prefix.
type template struct {
	parts []part
}

// parseTemplate splits s into literals and expressions. "!{" always opens
// an expression, which ends at the next "}".
func parseTemplate(s string) (template, error) {
	var t template
	for len(s) > 0 {
		i := strings.Index(s, "!{")
		if i < 0 {
			t.parts = append(t.parts, part{kind: partLiteral, text: s})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, part{kind: partLiteral, text: s[:i]})
		}
		rest := s[i+2:]
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			return template{}, fmt.Errorf("expression %q is not closed with '}'", s[i:])
		}
		p, err := parseExpression(rest[:j])
		if err != nil {
			return template{}, err
		}
		t.parts = append(t.parts, p)
		s = rest[j+1:]
	}
	return t, nil
}

func parseExpression(e string) (part, error) {
	ns, value, ok := strings.Cut(e, ":")
	if !ok {
		return part{}, fmt.Errorf("expression !{%s} has no namespace (expected !{namespace:value})", e)
	}
	switch ns {
	case nsTimestamp:
		l, err := parseLayout(value)
		if err != nil {
			return part{}, err
		}
		if len(l) == 0 {
			return part{}, fmt.Errorf("expression !{%s} has an empty timestamp pattern", e)
		}
		return part{kind: partTimestamp, layout: l}, nil
	case nsFirehose:
		switch value {
		case randomString:
			return part{kind: partRandom}, nil
		case errorOutputType:
			return part{kind: partErrorType}, nil
		}
		return part{}, fmt.Errorf("expression !{%s}: the firehose namespace has only %s and %s", e, randomString, errorOutputType)
	case nsKeyFromQuery, nsKeyFromLambda:
		if value == "" {
			return part{}, fmt.Errorf("expression !{%s} names no partition key", e)
		}
		k := partKeyFromQuery
		if ns == nsKeyFromLambda {
			k = partKeyFromLambda
		}
		return part{kind: k, text: value}, nil
	}
	return part{}, fmt.Errorf("expression !{%s}: unknown namespace %q (known: %s, %s, %s, %s)",
		e, ns, nsFirehose, nsTimestamp, nsKeyFromQuery, nsKeyFromLambda)
}

func (t template) has(k partKind) bool {
	for _, p := range t.parts {
		if p.kind == k {
			return true
		}
	}
	return false
}

// hasExpressions reports whether t holds any !{} expression.
func (t template) hasExpressions() bool {
	for _, p := range t.parts {
		if p.kind != partLiteral {
			return true
		}
	}
	return false
}

// keys returns the partition keys t names, by namespace, in order.
func (t template) keys() (query, lambda []string) {
	for _, p := range t.parts {
		switch p.kind {
		case partKeyFromQuery:
			query = appendNew(query, p.text)
		case partKeyFromLambda:
			lambda = appendNew(lambda, p.text)
		}
	}
	return query, lambda
}

func appendNew(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

// values are what an evaluation substitutes.
type values struct {
	at        time.Time // already in the wanted zone
	errorType string
	keys      map[string]string
	// sizeOnly: the caller wants only the length; random strings are
	// written as placeholders of the same length.
	sizeOnly bool
}

// eval evaluates t. A partition key missing from v.keys is an error.
func (t template) eval(v values) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		switch p.kind {
		case partLiteral:
			b.WriteString(p.text)
		case partTimestamp:
			b.WriteString(p.layout.format(v.at))
		case partRandom:
			if v.sizeOnly {
				b.WriteString("xxxxxxxxxxx")
				continue
			}
			b.WriteString(randomValue())
		case partErrorType:
			b.WriteString(v.errorType)
		case partKeyFromQuery, partKeyFromLambda:
			val, ok := v.keys[p.text]
			if !ok {
				ns := nsKeyFromQuery
				if p.kind == partKeyFromLambda {
					ns = nsKeyFromLambda
				}
				return "", &MissingKeyError{Namespace: ns, Key: p.text}
			}
			b.WriteString(val)
		}
	}
	return b.String(), nil
}

// randomValue is the 11 characters of !{firehose:random-string}: the head
// of a random (version 4) UUID, like the samples in AWS's documentation.
func randomValue() string {
	return uuid.NewString()[:11]
}
