package attr

// Size is the value's size in bytes by DynamoDB's sizing rules.
func (v Value) Size() int {
	switch v.Type() {
	case TypeS:
		return len(*v.S)
	case TypeN:
		return numSize(*v.N)
	case TypeB:
		return len(v.B)
	case TypeBOOL, TypeNULL:
		return 1
	case TypeM:
		n := 3
		for k, e := range v.M {
			n += len(k) + e.Size() + 1
		}
		return n
	case TypeL:
		n := 3
		for _, e := range v.L {
			n += e.Size() + 1
		}
		return n
	case TypeSS:
		n := 0
		for _, s := range v.SS {
			n += len(s)
		}
		return n
	case TypeNS:
		n := 0
		for _, s := range v.NS {
			n += numSize(s)
		}
		return n
	case TypeBS:
		n := 0
		for _, b := range v.BS {
			n += len(b)
		}
		return n
	}
	return 0
}

// numSize: about one byte per two significant digits plus one.
func numSize(s string) int {
	n, ok := parseNum(s)
	if !ok {
		return len(s)
	}
	return (len(n.Digits)+1)/2 + 1
}

// Size is the item's size: attribute names plus values.
func (it Item) Size() int {
	n := 0
	for k, v := range it {
		n += len(k) + v.Size()
	}
	return n
}

// MaxItemSize is DynamoDB's item size limit.
const MaxItemSize = 400 * 1024
