package leases

import (
	"context"

	"github.com/shardcast/shardcast/datastreams/leases/attr"
	"github.com/shardcast/shardcast/datastreams/leases/expr"
)

func ccf(old attr.Item, returnOnFail string) *Error {
	e := &Error{Kind: ErrConditionalCheckFailed, Message: "The conditional request failed"}
	if returnOnFail == "ALL_OLD" && old != nil {
		e.Item = old
	}
	return e
}

func checkReturnOnFail(v string) error {
	switch v {
	case "", "NONE", "ALL_OLD":
		return nil
	}
	return validationf("1 validation error detected: Value '%s' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]", v)
}

// GetItem returns an item (nil when absent), projected as asked.
func (e *Engine) GetItem(ctx context.Context, in *GetItemInput) (attr.Item, error) {
	if err := checkUnsupported(in.Unsupported); err != nil {
		return nil, err
	}
	td, _, err := e.table(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	k := td.keys()
	key, err := k.checkKey(in.Key)
	if err != nil {
		return nil, err
	}
	paths, err := projection(in.ProjectionExpression, in.AttributesToGet, in.ExpressionAttributeNames, nil)
	if err != nil {
		return nil, err
	}
	it, _, err := e.getItem(ctx, td.Name, k.encode(key))
	if err != nil {
		return nil, err
	}
	return expr.Project(it, paths), nil
}

// projection parses ProjectionExpression or AttributesToGet (nil = all).
// With a nil ctx it checks the families and placeholders itself; with a
// request's shared ctx the caller does.
func projection(pe string, toGet []string, names map[string]string, ctx *expr.Context) ([]expr.Path, error) {
	own := ctx == nil
	if own {
		legacy := map[string]bool{"AttributesToGet": len(toGet) > 0}
		exprs := map[string]bool{"ProjectionExpression": pe != ""}
		if err := checkFamilies(legacy, exprs, names, nil); err != nil {
			return nil, err
		}
		ctx = expr.NewContext(names, nil)
	}
	var paths []expr.Path
	switch {
	case pe != "":
		p, err := expr.ParseProjection(ctx, pe)
		if err != nil {
			return nil, invalid(err)
		}
		paths = p
	case len(toGet) > 0:
		seen := map[string]bool{}
		for _, n := range toGet {
			if seen[n] {
				return nil, validationf("One or more parameter values were invalid: Duplicate value in attribute name: %s", n)
			}
			seen[n] = true
		}
		paths = expr.ProjectionFromNames(toGet)
	}
	if own {
		if err := ctx.CheckUnused(); err != nil {
			return nil, invalid(err)
		}
	}
	return paths, nil
}

// PutItem writes a whole item; old is the replaced item when ReturnValues
// is ALL_OLD.
func (e *Engine) PutItem(ctx context.Context, in *PutItemInput) (old attr.Item, err error) {
	if err := checkUnsupported(in.Unsupported); err != nil {
		return nil, err
	}
	switch in.ReturnValues {
	case "", "NONE", "ALL_OLD":
	default:
		return nil, validationf("ReturnValues can only be ALL_OLD or NONE")
	}
	if err := checkReturnOnFail(in.ReturnValuesOnConditionCheckFailure); err != nil {
		return nil, err
	}
	td, _, err := e.table(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	item, err := attr.ValidateItem(in.Item)
	if err != nil {
		return nil, invalid(err)
	}
	if err := td.checkItem(item); err != nil {
		return nil, err
	}
	cond, err := writeCondition(in.ConditionExpression, nil, "", in.Expected, in.ConditionalOperator, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	prev, _, err := e.write(ctx, td.Name, td.keys().encode(item), func(old attr.Item) (attr.Item, error) {
		if cond != nil && !cond(old) {
			return nil, ccf(old, in.ReturnValuesOnConditionCheckFailure)
		}
		return item, nil
	})
	if err != nil {
		return nil, err
	}
	if in.ReturnValues == "ALL_OLD" {
		return prev, nil
	}
	return nil, nil
}

// writeCondition checks the parameter families and parses the condition
// (and the update expression, when ue is non-empty, into *u).
func writeCondition(ce string, u **expr.Update, ue string, expected map[string]ExpectedAttr, condOp string, names map[string]string, values attr.Item) (condition, error) {
	legacy := map[string]bool{"Expected": len(expected) > 0, "ConditionalOperator": condOp != ""}
	exprs := map[string]bool{"ConditionExpression": ce != "", "UpdateExpression": ue != ""}
	return writeConditionFamilies(legacy, exprs, ce, u, ue, expected, condOp, names, values)
}

func writeConditionFamilies(legacy, exprs map[string]bool, ce string, u **expr.Update, ue string, expected map[string]ExpectedAttr, condOp string, names map[string]string, values attr.Item) (condition, error) {
	if err := checkFamilies(legacy, exprs, names, values); err != nil {
		return nil, err
	}
	xc, err := newContext(names, values)
	if err != nil {
		return nil, err
	}
	cond, err := parseCondition(xc, ce, expected, condOp)
	if err != nil {
		return nil, err
	}
	if ue != "" {
		up, err := expr.ParseUpdate(xc, ue)
		if err != nil {
			return nil, invalid(err)
		}
		*u = up
	}
	if err := xc.CheckUnused(); err != nil {
		return nil, invalid(err)
	}
	return cond, nil
}

// UpdateItem updates (or creates) an item; attrs follow ReturnValues.
func (e *Engine) UpdateItem(ctx context.Context, in *UpdateItemInput) (attrs attr.Item, err error) {
	if err := checkUnsupported(in.Unsupported); err != nil {
		return nil, err
	}
	switch in.ReturnValues {
	case "", "NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW":
	default:
		return nil, validationf("1 validation error detected: Value '%s' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]", in.ReturnValues)
	}
	if err := checkReturnOnFail(in.ReturnValuesOnConditionCheckFailure); err != nil {
		return nil, err
	}
	td, _, err := e.table(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	k := td.keys()
	key, err := k.checkKey(in.Key)
	if err != nil {
		return nil, err
	}
	legacy := map[string]bool{"Expected": len(in.Expected) > 0, "ConditionalOperator": in.ConditionalOperator != "", "AttributeUpdates": len(in.AttributeUpdates) > 0}
	exprs := map[string]bool{"ConditionExpression": in.ConditionExpression != "", "UpdateExpression": in.UpdateExpression != ""}
	var up *expr.Update
	cond, err := writeConditionFamilies(legacy, exprs, in.ConditionExpression, &up, in.UpdateExpression, in.Expected, in.ConditionalOperator, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	var lu legacyUpdate
	var tops []string
	if up != nil {
		tops = up.Tops()
		for _, t := range tops {
			if t == k.hash || t == k.rng {
				return nil, validationf("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", t)
			}
		}
	} else if len(in.AttributeUpdates) > 0 {
		if lu, err = checkAttributeUpdates(in.AttributeUpdates, k); err != nil {
			return nil, err
		}
		tops = lu.tops()
	}
	// An update that only removes attributes does not create a missing
	// item (one with no actions at all does).
	onlyDeletes := up != nil && len(up.Set) == 0 && len(up.Add) == 0
	for _, u := range lu {
		onlyDeletes = u.Action == "DELETE"
		if !onlyDeletes {
			break
		}
	}
	old, cur, err := e.write(ctx, td.Name, k.encode(key), func(old attr.Item) (attr.Item, error) {
		if cond != nil && !cond(old) {
			return nil, ccf(old, in.ReturnValuesOnConditionCheckFailure)
		}
		it := old
		if it == nil && onlyDeletes {
			return nil, nil
		}
		if it == nil {
			it = attr.Item{}
			for n, v := range key {
				it[n] = v
			}
		}
		if up != nil {
			if err := up.Apply(it); err != nil {
				return nil, invalid(err)
			}
		}
		if lu != nil {
			if err := lu.apply(it); err != nil {
				return nil, err
			}
		}
		if err := td.checkItem(it); err != nil {
			return nil, err
		}
		return it, nil
	})
	if err != nil {
		return nil, err
	}
	pick := func(src attr.Item) attr.Item {
		out := attr.Item{}
		for _, t := range tops {
			if v, ok := src[t]; ok {
				out[t] = v
			}
		}
		return out
	}
	switch in.ReturnValues {
	case "ALL_OLD":
		return old, nil
	case "ALL_NEW":
		return cur, nil
	case "UPDATED_OLD":
		return pick(old), nil
	case "UPDATED_NEW":
		return pick(cur), nil
	}
	return nil, nil
}

// DeleteItem deletes an item; old is the deleted item when ReturnValues
// is ALL_OLD.
func (e *Engine) DeleteItem(ctx context.Context, in *DeleteItemInput) (old attr.Item, err error) {
	if err := checkUnsupported(in.Unsupported); err != nil {
		return nil, err
	}
	switch in.ReturnValues {
	case "", "NONE", "ALL_OLD":
	default:
		return nil, validationf("ReturnValues can only be ALL_OLD or NONE")
	}
	if err := checkReturnOnFail(in.ReturnValuesOnConditionCheckFailure); err != nil {
		return nil, err
	}
	td, _, err := e.table(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	k := td.keys()
	key, err := k.checkKey(in.Key)
	if err != nil {
		return nil, err
	}
	cond, err := writeCondition(in.ConditionExpression, nil, "", in.Expected, in.ConditionalOperator, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	prev, _, err := e.write(ctx, td.Name, k.encode(key), func(old attr.Item) (attr.Item, error) {
		if cond != nil && !cond(old) {
			return nil, ccf(old, in.ReturnValuesOnConditionCheckFailure)
		}
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	if in.ReturnValues == "ALL_OLD" {
		return prev, nil
	}
	return nil, nil
}
