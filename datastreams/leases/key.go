package leases

import (
	"hash/fnv"

	"github.com/shardcast/shardcast/datastreams/leases/attr"
)

// Encoded keys: each key part's content (S bytes, canonical N text, B
// bytes) with 0x00 escaped as 0x00 0xFF and ended by 0x00 0x01, hash part
// first. The encoding is injective and keeps the byte order of contents,
// so a Store's key order is stable and ExclusiveStartKey can resume after
// a key that no longer exists.

func appendPart(b []byte, v attr.Value) []byte {
	var c []byte
	switch v.Type() {
	case attr.TypeS:
		c = []byte(*v.S)
	case attr.TypeN:
		c = []byte(*v.N)
	case attr.TypeB:
		c = v.B
	}
	for _, x := range c {
		if x == 0 {
			b = append(b, 0, 0xFF)
		} else {
			b = append(b, x)
		}
	}
	return append(b, 0, 1)
}

// encode returns the encoded primary key of an item holding valid keys.
func (k keys) encode(it attr.Item) []byte {
	b := appendPart(nil, it[k.hash])
	if k.rng != "" {
		b = appendPart(b, it[k.rng])
	}
	return b
}

// segment is the parallel-scan segment of an item: a hash of its hash
// key, so items sharing a hash key share a segment.
func (k keys) segment(it attr.Item, total int) int {
	h := fnv.New32a()
	h.Write(appendPart(nil, it[k.hash]))
	return int(h.Sum32() % uint32(total))
}

func (k keys) names() []string {
	if k.rng == "" {
		return []string{k.hash}
	}
	return []string{k.hash, k.rng}
}

func (k keys) typeOf(name string) string {
	if name == k.hash {
		return k.hashType
	}
	return k.rngType
}

// project keeps the key attributes of an item.
func (k keys) project(it attr.Item, out attr.Item) attr.Item {
	if out == nil {
		out = attr.Item{}
	}
	for _, n := range k.names() {
		if v, ok := it[n]; ok {
			out[n] = v
		}
	}
	return out
}

// checkKeyValue checks one key attribute's value.
func checkKeyValue(name, want string, v attr.Value, hash bool) error {
	if v.Type() != want {
		return validationf("The provided key element does not match the schema")
	}
	switch {
	case want == attr.TypeS && *v.S == "":
		return validationf("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: %s", name)
	case want == attr.TypeB && len(v.B) == 0:
		return validationf("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: %s", name)
	case hash && v.Size() > 2048:
		return validationf("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
	case !hash && v.Size() > 1024:
		return validationf("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
	}
	return nil
}

// checkKey validates a Key parameter: exactly the key attributes.
func (k keys) checkKey(key attr.Item) (attr.Item, error) {
	key, err := attr.ValidateItem(key)
	if err != nil {
		return nil, invalid(err)
	}
	if len(key) != len(k.names()) {
		return nil, validationf("The provided key element does not match the schema")
	}
	for _, n := range k.names() {
		v, ok := key[n]
		if !ok {
			return nil, validationf("The provided key element does not match the schema")
		}
		if err := checkKeyValue(n, k.typeOf(n), v, n == k.hash); err != nil {
			return nil, err
		}
	}
	return key, nil
}

// checkItem validates a whole item's keys (table and index keys) and size.
func (td *tableDef) checkItem(it attr.Item) error {
	k := td.keys()
	for _, n := range k.names() {
		v, ok := it[n]
		if !ok {
			return validationf("One or more parameter values were invalid: Missing the key %s in the item", n)
		}
		if v.Type() != k.typeOf(n) {
			return validationf("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", n, k.typeOf(n), v.Type())
		}
		if err := checkKeyValue(n, k.typeOf(n), v, n == k.hash); err != nil {
			return err
		}
	}
	for _, g := range td.GSIs {
		for _, e := range g.KeySchema {
			v, ok := it[e.AttributeName]
			if !ok {
				continue
			}
			want := td.attrType(e.AttributeName)
			if v.Type() != want {
				return validationf("One or more parameter values were invalid: Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s", e.AttributeName, want, v.Type(), g.IndexName)
			}
			if (want == attr.TypeS && *v.S == "") || (want == attr.TypeB && len(v.B) == 0) {
				return validationf("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: %s, IndexKey: %s", g.IndexName, e.AttributeName)
			}
		}
	}
	if it.Size() > attr.MaxItemSize {
		return validationf("Item size has exceeded the maximum allowed size")
	}
	return nil
}

// inIndex reports whether an item appears in a (sparse) index: it holds
// every index key attribute with the defined type.
func inIndex(td *tableDef, g *GlobalSecondaryIndex, it attr.Item) bool {
	for _, e := range g.KeySchema {
		v, ok := it[e.AttributeName]
		if !ok || v.Type() != td.attrType(e.AttributeName) {
			return false
		}
	}
	return true
}
