package format

import (
	"fmt"
	"strconv"
	"strings"
)

// Table is a table declared in shardcast's configuration: what a Glue
// table holds for the conversion, its columns.
type Table struct {
	Database string
	Name     string
	Columns  []Column
}

// Column is one column of a Table. Type is a Hive type: string,
// varchar(n), char(n), boolean, tinyint, smallint, int (integer), bigint,
// float, double, decimal(p,s), date, timestamp, binary, array<T>,
// map<K,V> and struct<name:T,...>.
type Column struct {
	Name string
	Type string
}

// TableResolver finds a table by database and name. The engine's config
// provides it; Tables is a ready one.
type TableResolver interface {
	LookupTable(database, name string) (*Table, bool)
}

// Tables is a TableResolver over a list. Names match ignoring case, as in
// Hive.
type Tables []Table

// LookupTable implements TableResolver.
func (ts Tables) LookupTable(database, name string) (*Table, bool) {
	for i := range ts {
		if strings.EqualFold(ts[i].Database, database) && strings.EqualFold(ts[i].Name, name) {
			return &ts[i], true
		}
	}
	return nil, false
}

// Validate checks that every column has a name and a known type.
func (t *Table) Validate() error {
	_, err := t.schema()
	return err
}

// kind is the kind of a Hive type.
type kind int

const (
	kString kind = iota
	kVarchar
	kChar
	kBoolean
	kTinyint
	kSmallint
	kInt
	kBigint
	kFloat
	kDouble
	kDecimal
	kDate
	kTimestamp
	kBinary
	kArray
	kMap
	kStruct
)

// hiveType is a parsed Hive type.
type hiveType struct {
	kind kind
	// length of varchar/char; precision and scale of decimal.
	length, precision, scale int
	elem                     *hiveType // array element, map value
	key                      *hiveType // map key
	fields                   []field   // struct fields, and a table's columns
}

type field struct {
	name string // lower case
	typ  *hiveType
}

// schema parses the table's columns into a struct type.
func (t *Table) schema() (*hiveType, error) {
	if len(t.Columns) == 0 {
		return nil, configErrorf("table %s.%s has no columns", t.Database, t.Name)
	}
	root := &hiveType{kind: kStruct}
	seen := map[string]bool{}
	for _, c := range t.Columns {
		name := strings.ToLower(strings.TrimSpace(c.Name))
		if name == "" {
			return nil, configErrorf("table %s.%s: a column has no name", t.Database, t.Name)
		}
		if seen[name] {
			return nil, configErrorf("table %s.%s: column %q is declared twice", t.Database, t.Name, name)
		}
		seen[name] = true
		typ, err := parseHiveType(c.Type)
		if err != nil {
			return nil, configErrorf("table %s.%s, column %s: %v", t.Database, t.Name, name, err)
		}
		root.fields = append(root.fields, field{name: name, typ: typ})
	}
	return root, nil
}

// parseHiveType parses a Hive type name.
func parseHiveType(s string) (*hiveType, error) {
	p := &typeParser{s: strings.ToLower(s)}
	t, err := p.parse()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("type %q: unexpected %q", s, p.s[p.i:])
	}
	return t, nil
}

type typeParser struct {
	s string
	i int
}

func (p *typeParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *typeParser) ident() string {
	p.space()
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i]
}

func (p *typeParser) expect(c byte) error {
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != c {
		return fmt.Errorf("type %q: expected %q at offset %d", p.s, c, p.i)
	}
	p.i++
	return nil
}

func (p *typeParser) peek(c byte) bool {
	p.space()
	return p.i < len(p.s) && p.s[p.i] == c
}

// args parses "(n)" or "(n,m)".
func (p *typeParser) args() ([]int, error) {
	if err := p.expect('('); err != nil {
		return nil, err
	}
	var out []int
	for {
		n, err := strconv.Atoi(p.ident())
		if err != nil {
			return nil, fmt.Errorf("type %q: bad number at offset %d", p.s, p.i)
		}
		out = append(out, n)
		if p.peek(',') {
			p.i++
			continue
		}
		return out, p.expect(')')
	}
}

func (p *typeParser) parse() (*hiveType, error) {
	name := p.ident()
	switch name {
	case "string":
		return &hiveType{kind: kString}, nil
	case "boolean":
		return &hiveType{kind: kBoolean}, nil
	case "tinyint":
		return &hiveType{kind: kTinyint}, nil
	case "smallint":
		return &hiveType{kind: kSmallint}, nil
	case "int", "integer":
		return &hiveType{kind: kInt}, nil
	case "bigint":
		return &hiveType{kind: kBigint}, nil
	case "float":
		return &hiveType{kind: kFloat}, nil
	case "double":
		return &hiveType{kind: kDouble}, nil
	case "date":
		return &hiveType{kind: kDate}, nil
	case "timestamp":
		return &hiveType{kind: kTimestamp}, nil
	case "binary":
		return &hiveType{kind: kBinary}, nil
	case "varchar", "char":
		a, err := p.args()
		if err != nil {
			return nil, err
		}
		if len(a) != 1 || a[0] < 1 || (name == "char" && a[0] > 255) || a[0] > 65535 {
			return nil, fmt.Errorf("type %q: bad length", p.s)
		}
		k := kVarchar
		if name == "char" {
			k = kChar
		}
		return &hiveType{kind: k, length: a[0]}, nil
	case "decimal":
		t := &hiveType{kind: kDecimal, precision: 10}
		if p.peek('(') {
			a, err := p.args()
			if err != nil {
				return nil, err
			}
			t.precision = a[0]
			if len(a) > 1 {
				t.scale = a[1]
			}
			if len(a) > 2 || t.precision < 1 || t.precision > 38 || t.scale < 0 || t.scale > t.precision {
				return nil, fmt.Errorf("type %q: decimal(p,s) needs 1 ≤ p ≤ 38 and 0 ≤ s ≤ p", p.s)
			}
		}
		return t, nil
	case "array":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		elem, err := p.parse()
		if err != nil {
			return nil, err
		}
		return &hiveType{kind: kArray, elem: elem}, p.expect('>')
	case "map":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		key, err := p.parse()
		if err != nil {
			return nil, err
		}
		if key.kind >= kArray {
			return nil, fmt.Errorf("type %q: a map key must be a scalar type", p.s)
		}
		if err := p.expect(','); err != nil {
			return nil, err
		}
		val, err := p.parse()
		if err != nil {
			return nil, err
		}
		return &hiveType{kind: kMap, key: key, elem: val}, p.expect('>')
	case "struct":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		t := &hiveType{kind: kStruct}
		seen := map[string]bool{}
		for {
			fname := p.ident()
			if fname == "" || seen[fname] {
				return nil, fmt.Errorf("type %q: bad or repeated field name at offset %d", p.s, p.i)
			}
			seen[fname] = true
			if err := p.expect(':'); err != nil {
				return nil, err
			}
			ft, err := p.parse()
			if err != nil {
				return nil, err
			}
			t.fields = append(t.fields, field{name: fname, typ: ft})
			if p.peek(',') {
				p.i++
				continue
			}
			return t, p.expect('>')
		}
	case "":
		return nil, fmt.Errorf("type %q: missing type name at offset %d", p.s, p.i)
	}
	return nil, fmt.Errorf("type %q: unknown or unsupported type %q (uniontype, interval and void are not supported)", p.s, name)
}
