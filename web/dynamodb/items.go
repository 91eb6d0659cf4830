package dynamodb

import (
	"net/http"

	"github.com/shardcast/shardcast/datastreams/leases"
	"github.com/shardcast/shardcast/datastreams/leases/attr"
)

// attributesOutput answers PutItem, UpdateItem and DeleteItem: Attributes
// only when the request asked for them and there are some.
type attributesOutput struct {
	Attributes attr.Item `json:",omitempty"`
}

func (h *Handler) getItem(r *http.Request, body []byte) (any, error) {
	var in leases.GetItemInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var err error
	if in.TableName, err = h.tableName(in.TableName); err != nil {
		return nil, err
	}
	item, err := h.engine.GetItem(r.Context(), &in)
	if err != nil {
		return nil, err
	}
	// A missing item is an answer without Item.
	return struct {
		Item attr.Item `json:",omitempty"`
	}{item}, nil
}

func (h *Handler) putItem(r *http.Request, body []byte) (any, error) {
	var in leases.PutItemInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var err error
	if in.TableName, err = h.tableName(in.TableName); err != nil {
		return nil, err
	}
	old, err := h.engine.PutItem(r.Context(), &in)
	if err != nil {
		return nil, err
	}
	if in.ReturnValues != "ALL_OLD" {
		old = nil
	}
	return attributesOutput{old}, nil
}

func (h *Handler) updateItem(r *http.Request, body []byte) (any, error) {
	var in leases.UpdateItemInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var err error
	if in.TableName, err = h.tableName(in.TableName); err != nil {
		return nil, err
	}
	attrs, err := h.engine.UpdateItem(r.Context(), &in)
	if err != nil {
		return nil, err
	}
	if in.ReturnValues == "" || in.ReturnValues == "NONE" {
		attrs = nil
	}
	return attributesOutput{attrs}, nil
}

func (h *Handler) deleteItem(r *http.Request, body []byte) (any, error) {
	var in leases.DeleteItemInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var err error
	if in.TableName, err = h.tableName(in.TableName); err != nil {
		return nil, err
	}
	old, err := h.engine.DeleteItem(r.Context(), &in)
	if err != nil {
		return nil, err
	}
	if in.ReturnValues != "ALL_OLD" {
		old = nil
	}
	return attributesOutput{old}, nil
}

// itemsOutput answers Scan and Query: Items always a list, but absent
// when the request selected COUNT.
type itemsOutput struct {
	Items            *[]attr.Item `json:",omitempty"`
	Count            int
	ScannedCount     int
	LastEvaluatedKey attr.Item `json:",omitempty"`
}

func itemsAnswer(out *leases.ItemsOutput, sel string) itemsOutput {
	a := itemsOutput{Count: out.Count, ScannedCount: out.ScannedCount, LastEvaluatedKey: out.LastEvaluatedKey}
	if sel != "COUNT" {
		items := out.Items
		if items == nil {
			items = []attr.Item{}
		}
		a.Items = &items
	}
	return a
}

func (h *Handler) scan(r *http.Request, body []byte) (any, error) {
	var in leases.ScanInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var err error
	if in.TableName, err = h.tableName(in.TableName); err != nil {
		return nil, err
	}
	out, err := h.engine.Scan(r.Context(), &in)
	if err != nil {
		return nil, err
	}
	return itemsAnswer(out, in.Select), nil
}

func (h *Handler) query(r *http.Request, body []byte) (any, error) {
	var in leases.QueryInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var err error
	if in.TableName, err = h.tableName(in.TableName); err != nil {
		return nil, err
	}
	out, err := h.engine.Query(r.Context(), &in)
	if err != nil {
		return nil, err
	}
	return itemsAnswer(out, in.Select), nil
}
