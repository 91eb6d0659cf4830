package dynamodb

import (
	"net/http"
	"strings"

	"github.com/shardcast/shardcast/datastreams/leases"
	"github.com/shardcast/shardcast/web/awsapi"
)

// resourceTable is the table a ResourceArn names. Only tables carry tags
// here: an ARN that is not this server's ARN of a table (another region
// or account, an index, a backup) names nothing that exists.
func (h *Handler) resourceTable(arn string) (string, error) {
	var v awsapi.Validator
	if v.Required("resourceArn", arn != "") {
		v.String("resourceArn", &arn, nil, 1, 1283)
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	rest, ok := strings.CutPrefix(arn, "arn:")
	i := strings.Index(rest, ":table/")
	if !ok || i < 0 {
		return "", validation("Invalid TableArn: Invalid ResourceArn provided as input " + arn)
	}
	name := rest[i+len(":table/"):]
	if h.auth == nil || h.auth.NameARN("dynamodb:", name) != arn || !tableNamePattern.MatchString(name) || len(name) < 3 || len(name) > 255 {
		return "", &leases.Error{Kind: leases.ErrResourceNotFound, Message: "Requested resource not found: ResourceArn: " + arn + " not found"}
	}
	return name, nil
}

// tagResource adds or replaces tags of a table.
func (h *Handler) tagResource(r *http.Request, body []byte) (any, error) {
	var in struct {
		ResourceArn string
		Tags        []leases.Tag
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	name, err := h.resourceTable(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	var v awsapi.Validator
	v.Required("tags", in.Tags != nil)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := h.engine.TagResource(r.Context(), name, in.Tags); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// untagResource removes tags of a table by key.
func (h *Handler) untagResource(r *http.Request, body []byte) (any, error) {
	var in struct {
		ResourceArn string
		TagKeys     []string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	name, err := h.resourceTable(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	var v awsapi.Validator
	v.Required("tagKeys", in.TagKeys != nil)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := h.engine.UntagResource(r.Context(), name, in.TagKeys); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// listTagsOfResource answers a table's tags in one page (a table has 50
// at most), so NextToken is accepted and never answered.
func (h *Handler) listTagsOfResource(r *http.Request, body []byte) (any, error) {
	var in struct {
		ResourceArn string
		NextToken   string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	name, err := h.resourceTable(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	tags, err := h.engine.ListTagsOfResource(r.Context(), name)
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = []leases.Tag{}
	}
	return struct{ Tags []leases.Tag }{tags}, nil
}
