package iam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// checkJSON walks doc once and refuses what encoding/json would let pass
// silently: an object naming the same member twice (the last one would win,
// hiding the first from whoever reads the document) and anything after the
// document.
func checkJSON(doc []byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := walkJSON(dec, "", 0); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("policy: the document has something after its closing '}'")
	}
	return nil
}

// maxDepth bounds how deeply a document may nest: a policy needs five
// levels (document, Statement array, statement, Condition, operator, values),
// and a session policy may come from a caller.
const maxDepth = 16

// walkJSON reads one value from dec, depth levels down; where names it for
// errors.
func walkJSON(dec *json.Decoder, where string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("policy: %s nests deeper than %d levels; a policy needs no more than 6", where, maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("policy: not valid JSON: %w", err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return fmt.Errorf("policy: not valid JSON: %w", err)
			}
			k, _ := kt.(string)
			if seen[k] {
				name := where
				if name == "" {
					name = "the document"
				}
				return fmt.Errorf("policy: %s names %q twice; JSON members must be unique", name, k)
			}
			seen[k] = true
			child := k
			if where != "" {
				child = where + "." + k
			}
			if err := walkJSON(dec, child, depth+1); err != nil {
				return err
			}
		}
	case '[':
		for i := 0; dec.More(); i++ {
			if err := walkJSON(dec, where+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return fmt.Errorf("policy: not valid JSON: %w", err)
	}
	return nil
}

// members decodes raw as a JSON object and returns its members' raw values
// and their names, sorted (so that errors and compiled forms do not depend
// on map order).
func members(raw json.RawMessage) (map[string]json.RawMessage, []string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, nil, fmt.Errorf("must be a JSON object, not %s", describe(raw))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, nil, err
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return m, names, nil
}

// stringList decodes a string or an array of strings. An empty list, an
// empty string and a non-string are errors.
func stringList(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		if s == "" {
			return nil, errors.New("is an empty string")
		}
		return []string{s}, nil
	}
	if len(raw) == 0 || raw[0] != '[' {
		return nil, errors.New("must be a string or an array of strings")
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errors.New("is an empty array; name at least one")
	}
	out := make([]string, 0, len(list))
	for i, item := range list {
		var s string
		if err := json.Unmarshal(item, &s); err != nil {
			return nil, fmt.Errorf("item %d is %s, not a string", i, describe(item))
		}
		if s == "" {
			return nil, fmt.Errorf("item %d is an empty string", i)
		}
		out = append(out, s)
	}
	return out, nil
}

// scalarList decodes a condition's values: a string, number or boolean, or
// an array of them, each returned as its text.
func scalarList(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, errors.New("is an empty array; give at least one value")
		}
		out := make([]string, 0, len(list))
		for i, item := range list {
			s, err := scalar(item)
			if err != nil {
				return nil, fmt.Errorf("value %d %w", i, err)
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(raw)
	if err != nil {
		return nil, fmt.Errorf("value %w", err)
	}
	return []string{s}, nil
}

// scalar returns the text of a JSON string, number or boolean.
func scalar(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", errors.New("is missing")
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case c == 't' || c == 'f':
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return "", err
		}
		return strconv.FormatBool(b), nil
	case c == '-' || ('0' <= c && c <= '9'):
		var n json.Number
		err := json.Unmarshal(raw, &n)
		return n.String(), err
	}
	return "", fmt.Errorf("is %s; condition values are strings, numbers or booleans", describe(raw))
}

// describe names the kind of a JSON value for an error message.
func describe(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// suggest returns a hint when name differs from one of known only by case.
func suggest(name string, known []string) string {
	for _, k := range known {
		if strings.EqualFold(name, k) {
			return fmt.Sprintf(" (did you mean %q? names are case-sensitive)", k)
		}
	}
	return ""
}
