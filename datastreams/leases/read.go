package leases

import (
	"bytes"
	"context"
	"errors"
	"slices"

	"github.com/shardcast/shardcast/datastreams/leases/attr"
	"github.com/shardcast/shardcast/datastreams/leases/expr"
)

// maxPageBytes is DynamoDB's 1 MB bound on the data one page reads.
const maxPageBytes = 1 << 20

var errStop = errors.New("stop")

// reader is what Scan and Query share: the index read, its projection,
// the filter, Select and the page bounds.
type reader struct {
	td       *tableDef
	k        keys                  // table keys
	gsi      *GlobalSecondaryIndex // nil for the table
	filter   *expr.Cond
	paths    []expr.Path
	count    bool
	limit    int
	startKey []byte // encoded table key of ExclusiveStartKey (nil = none)
	start    attr.Item
}

func (e *Engine) newReader(ctx context.Context, op, table, index string, consistent bool, sel, filter, pe string, toGet []string, condOp string, names map[string]string, values attr.Item, limit int, esk attr.Item, keyCond string, keyCondOut **expr.KeyCond) (*reader, error) {
	if condOp != "" {
		return nil, validationf("Unsupported parameter(s) in this DynamoDB implementation: ConditionalOperator (use FilterExpression)")
	}
	td, _, err := e.table(ctx, table)
	if err != nil {
		return nil, err
	}
	r := &reader{td: td, k: td.keys(), limit: limit}
	if index != "" {
		if r.gsi, err = td.index(index); err != nil {
			return nil, err
		}
		if consistent {
			return nil, validationf("Consistent reads are not supported on global secondary indexes")
		}
	}
	if limit < 0 {
		return nil, validationf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", limit)
	}
	exprs := map[string]bool{"FilterExpression": filter != "", "ProjectionExpression": pe != "", "KeyConditionExpression": keyCond != ""}
	if err := checkFamilies(map[string]bool{"AttributesToGet": len(toGet) > 0}, exprs, names, values); err != nil {
		return nil, err
	}
	xc, err := newContext(names, values)
	if err != nil {
		return nil, err
	}
	if keyCond != "" {
		ks := r.k
		if r.gsi != nil {
			ks = td.schema(r.gsi.KeySchema)
		}
		kc, err := expr.ParseKeyCondition(xc, keyCond, ks.hash, ks.rng)
		if err != nil {
			return nil, invalid(err)
		}
		if kc.HashValue.Type() != ks.hashType {
			return nil, validationf("One or more parameter values were invalid: Condition parameter type does not match schema type")
		}
		if kc.Range != nil {
			if kc.Range.Op == "begins_with" && ks.rngType == attr.TypeN {
				return nil, validationf("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
			}
			for _, v := range kc.Range.Values {
				if v.Type() != ks.rngType {
					return nil, validationf("One or more parameter values were invalid: Condition parameter type does not match schema type")
				}
			}
		}
		*keyCondOut = kc
	}
	if filter != "" {
		if r.filter, err = expr.ParseCondition(xc, expr.KindFilter, filter); err != nil {
			return nil, invalid(err)
		}
	}
	if r.paths, err = projection(pe, toGet, names, xc); err != nil {
		return nil, err
	}
	if err := xc.CheckUnused(); err != nil {
		return nil, invalid(err)
	}
	switch sel {
	case "":
	case "ALL_ATTRIBUTES":
		if r.paths != nil {
			return nil, validationf("Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES")
		}
		if r.gsi != nil && r.gsi.Projection.ProjectionType != "ALL" {
			return nil, validationf("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index %s because its projection type is not ALL", r.gsi.IndexName)
		}
	case "ALL_PROJECTED_ATTRIBUTES":
		if r.gsi == nil {
			return nil, validationf("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
		}
		if r.paths != nil {
			return nil, validationf("Cannot specify the AttributesToGet when choosing to get ALL_PROJECTED_ATTRIBUTES")
		}
	case "COUNT":
		if r.paths != nil {
			return nil, validationf("Cannot specify the AttributesToGet when choosing to get COUNT")
		}
		r.count = true
	case "SPECIFIC_ATTRIBUTES":
		if r.paths == nil {
			return nil, validationf("SPECIFIC_ATTRIBUTES requires a ProjectionExpression or AttributesToGet")
		}
	default:
		return nil, validationf("1 validation error detected: Value '%s' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]", sel)
	}
	if esk != nil {
		if err := r.checkStart(esk); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// checkStart validates ExclusiveStartKey: the table's keys (and the
// index's, for an index read).
func (r *reader) checkStart(esk attr.Item) error {
	esk, err := attr.ValidateItem(esk)
	if err != nil {
		return invalid(err)
	}
	want := map[string]string{}
	for _, n := range r.k.names() {
		want[n] = r.k.typeOf(n)
	}
	if r.gsi != nil {
		for _, e := range r.gsi.KeySchema {
			want[e.AttributeName] = r.td.attrType(e.AttributeName)
		}
	}
	if len(esk) != len(want) {
		return validationf("The provided starting key is invalid: The provided key element does not match the schema")
	}
	for n, t := range want {
		if v, ok := esk[n]; !ok || v.Type() != t {
			return validationf("The provided starting key is invalid: The provided key element does not match the schema")
		}
	}
	r.start = esk
	r.startKey = r.k.encode(esk)
	return nil
}

// visible reports whether an item is in the read's index.
func (r *reader) visible(it attr.Item) bool {
	return r.gsi == nil || inIndex(r.td, r.gsi, it)
}

// lastKey is the LastEvaluatedKey of an item.
func (r *reader) lastKey(it attr.Item) attr.Item {
	out := r.k.project(it, nil)
	if r.gsi != nil {
		r.td.schema(r.gsi.KeySchema).project(it, out)
	}
	return out
}

// output projects an item as the index stores it, then as asked.
func (r *reader) output(it attr.Item) attr.Item {
	if r.gsi != nil && r.gsi.Projection.ProjectionType != "ALL" {
		p := r.lastKey(it)
		for _, n := range r.gsi.Projection.NonKeyAttributes {
			if v, ok := it[n]; ok {
				p[n] = v
			}
		}
		it = p
	}
	return expr.Project(it, r.paths)
}

// page gathers one page from items in read order; more reports whether
// items follow the ones offered.
type page struct {
	r     *reader
	out   ItemsOutput
	bytes int
	last  attr.Item
	full  bool
}

// add offers the next item; it returns false once the page is full (the
// item offered then is not part of it but proves more follow).
func (p *page) add(it attr.Item) bool {
	if p.full || (p.r.limit > 0 && p.out.ScannedCount == p.r.limit) || p.bytes >= maxPageBytes {
		p.full = true
		p.out.LastEvaluatedKey = p.r.lastKey(p.last)
		return false
	}
	p.out.ScannedCount++
	p.bytes += it.Size()
	p.last = it
	if p.r.filter != nil && !p.r.filter.Eval(it) {
		return true
	}
	p.out.Count++
	if !p.r.count {
		p.out.Items = append(p.out.Items, p.r.output(it))
	}
	return true
}

func (p *page) result() *ItemsOutput {
	if p.out.Items == nil {
		p.out.Items = []attr.Item{}
	}
	return &p.out
}

// Scan reads a table or index in key order, a page at a time.
func (e *Engine) Scan(ctx context.Context, in *ScanInput) (*ItemsOutput, error) {
	if err := checkUnsupported(in.Unsupported); err != nil {
		return nil, err
	}
	r, err := e.newReader(ctx, "Scan", in.TableName, in.IndexName, in.ConsistentRead, in.Select, in.FilterExpression, in.ProjectionExpression, in.AttributesToGet, in.ConditionalOperator, in.ExpressionAttributeNames, in.ExpressionAttributeValues, in.Limit, in.ExclusiveStartKey, "", nil)
	if err != nil {
		return nil, err
	}
	seg, total := 0, 1
	switch {
	case in.Segment == nil && in.TotalSegments == nil:
	case in.Segment == nil || in.TotalSegments == nil:
		return nil, validationf("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
	default:
		seg, total = *in.Segment, *in.TotalSegments
		if total < 1 || total > 1000000 {
			return nil, validationf("1 validation error detected: Value '%d' at 'totalSegments' failed to satisfy constraint: Member must have value between 1 and 1000000", total)
		}
		if seg < 0 || seg >= total {
			return nil, validationf("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", seg, total)
		}
		if r.start != nil && r.k.segment(r.start, total) != seg {
			return nil, validationf("The provided Exclusive start key does not map to the provided Segment and TotalSegments values.")
		}
	}
	p := &page{r: r}
	err = e.store.List(ctx, r.td.Name, r.startKey, func(_, val []byte) error {
		it, err := decodeItem(val)
		if err != nil {
			return err
		}
		if !r.visible(it) || (total > 1 && r.k.segment(it, total) != seg) {
			return nil
		}
		if !p.add(it) {
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, storeErr("scan", err)
	}
	return p.result(), nil
}

// Query reads the items of one hash key (of the table or an index) in
// range key order.
func (e *Engine) Query(ctx context.Context, in *QueryInput) (*ItemsOutput, error) {
	if err := checkUnsupported(in.Unsupported); err != nil {
		return nil, err
	}
	if in.KeyConditionExpression == "" {
		return nil, validationf("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	var kc *expr.KeyCond
	r, err := e.newReader(ctx, "Query", in.TableName, in.IndexName, in.ConsistentRead, in.Select, in.FilterExpression, in.ProjectionExpression, in.AttributesToGet, in.ConditionalOperator, in.ExpressionAttributeNames, in.ExpressionAttributeValues, in.Limit, in.ExclusiveStartKey, in.KeyConditionExpression, &kc)
	if err != nil {
		return nil, err
	}
	ks := r.k
	if r.gsi != nil {
		ks = r.td.schema(r.gsi.KeySchema)
	}
	if r.start != nil && !attr.Equal(r.start[ks.hash], kc.HashValue) {
		return nil, validationf("The provided starting key is invalid: The provided starting key does not match the range key predicate")
	}
	type entry struct {
		key []byte
		it  attr.Item
	}
	var all []entry
	err = e.store.List(ctx, r.td.Name, nil, func(key, val []byte) error {
		it, err := decodeItem(val)
		if err != nil {
			return err
		}
		if !r.visible(it) || !attr.Equal(it[ks.hash], kc.HashValue) {
			return nil
		}
		if kc.Range != nil && !kc.Range.Match(it[ks.rng]) {
			return nil
		}
		all = append(all, entry{bytes.Clone(key), it})
		return nil
	})
	if err != nil {
		return nil, storeErr("query", err)
	}
	order := func(a attr.Item, ak []byte, b attr.Item, bk []byte) int {
		if ks.rng != "" {
			if c, _ := attr.Compare(a[ks.rng], b[ks.rng]); c != 0 {
				return c
			}
		}
		return bytes.Compare(ak, bk)
	}
	slices.SortFunc(all, func(a, b entry) int { return order(a.it, a.key, b.it, b.key) })
	if in.ScanIndexForward != nil && !*in.ScanIndexForward {
		slices.Reverse(all)
	}
	forward := in.ScanIndexForward == nil || *in.ScanIndexForward
	p := &page{r: r}
	for _, en := range all {
		if r.start != nil {
			c := order(en.it, en.key, r.start, r.startKey)
			if (forward && c <= 0) || (!forward && c >= 0) {
				continue
			}
		}
		if !p.add(en.it) {
			break
		}
	}
	return p.result(), nil
}
