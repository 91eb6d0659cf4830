package leases

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// tableDef is a table's stored definition.
type tableDef struct {
	Name                 string                 `json:"name"`
	ID                   string                 `json:"id"`
	Created              time.Time              `json:"created"`
	KeySchema            []KeySchemaElement     `json:"keySchema"`
	AttributeDefinitions []AttributeDefinition  `json:"attributeDefinitions"`
	BillingMode          string                 `json:"billingMode"`
	Throughput           ProvisionedThroughput  `json:"throughput"`
	GSIs                 []GlobalSecondaryIndex `json:"gsis,omitempty"`
	DeletionProtection   bool                   `json:"deletionProtection,omitempty"`
	Tags                 []Tag                  `json:"tags,omitempty"`
	PITR                 bool                   `json:"pitr,omitempty"`
}

// keys is a key schema resolved: names and types.
type keys struct {
	hash, hashType string
	rng, rngType   string
}

func (td *tableDef) attrType(name string) string {
	for _, a := range td.AttributeDefinitions {
		if a.AttributeName == name {
			return a.AttributeType
		}
	}
	return ""
}

func (td *tableDef) schema(ks []KeySchemaElement) keys {
	var k keys
	for _, e := range ks {
		if e.KeyType == "HASH" {
			k.hash, k.hashType = e.AttributeName, td.attrType(e.AttributeName)
		} else {
			k.rng, k.rngType = e.AttributeName, td.attrType(e.AttributeName)
		}
	}
	return k
}

func (td *tableDef) keys() keys { return td.schema(td.KeySchema) }

func (td *tableDef) index(name string) (*GlobalSecondaryIndex, error) {
	for i := range td.GSIs {
		if td.GSIs[i].IndexName == name {
			return &td.GSIs[i], nil
		}
	}
	return nil, validationf("The table does not have the specified index: %s", name)
}

var tableNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

func checkTableName(name string) error {
	return checkName("tableName", name)
}

func checkName(member, name string) error {
	switch {
	case len(name) < 3:
		return validationf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to 3", name, member)
	case len(name) > 255:
		return validationf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to 255", name, member)
	case !tableNameRE.MatchString(name):
		return validationf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", name, member)
	}
	return nil
}

// checkUnsupported refuses DynamoDB members the engine does not implement.
func checkUnsupported(u Unsupported) error {
	var names []string
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{
		{"KeyConditions", u.KeyConditions}, {"QueryFilter", u.QueryFilter}, {"ScanFilter", u.ScanFilter},
		{"LocalSecondaryIndexes", u.LocalSecondaryIndexes}, {"StreamSpecification", u.StreamSpecification},
		{"SSESpecification", u.SSESpecification}, {"ReplicaUpdates", u.ReplicaUpdates}, {"TableClass", u.TableClass},
		{"OnDemandThroughput", u.OnDemandThroughput}, {"WarmThroughput", u.WarmThroughput}, {"ResourcePolicy", u.ResourcePolicy},
		{"MultiRegionConsistency", u.MultiRegionConsistency}, {"GlobalTableWitnessUpdates", u.GlobalTableWitnessUpdates},
	} {
		if len(f.raw) > 0 && string(f.raw) != "null" {
			names = append(names, f.name)
		}
	}
	if v := u.ReturnItemCollectionMetrics; v != "" && v != "NONE" {
		names = append(names, "ReturnItemCollectionMetrics="+v)
	}
	switch u.ReturnConsumedCapacity {
	case "", "NONE", "TOTAL", "INDEXES":
	default:
		return validationf("1 validation error detected: Value '%s' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]", u.ReturnConsumedCapacity)
	}
	if len(names) > 0 {
		return validationf("Unsupported parameter(s) in this DynamoDB implementation: %s", strings.Join(names, ", "))
	}
	return nil
}

func checkKeySchema(ks []KeySchemaElement, what string) error {
	if len(ks) < 1 || len(ks) > 2 {
		return validationf("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length less than or equal to 2 and greater than or equal to 1", what)
	}
	if ks[0].KeyType != "HASH" {
		return validationf("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	}
	if len(ks) == 2 {
		if ks[1].KeyType != "RANGE" {
			return validationf("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
		}
		if ks[0].AttributeName == ks[1].AttributeName {
			return validationf("Both the Hash Key and the Range Key element in the KeySchema have the same name")
		}
	}
	for _, e := range ks {
		if e.AttributeName == "" || len(e.AttributeName) > 255 {
			return validationf("1 validation error detected: Value '%s' at '%s.attributeName' failed to satisfy constraint: Member must have length between 1 and 255", e.AttributeName, what)
		}
	}
	return nil
}

func checkThroughput(mode string, pt *ProvisionedThroughput, what string) error {
	switch mode {
	case "PAY_PER_REQUEST":
		if pt != nil && (pt.ReadCapacityUnits != 0 || pt.WriteCapacityUnits != 0) {
			return validationf("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
	case "PROVISIONED":
		if pt == nil {
			return validationf("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
		if pt.ReadCapacityUnits < 1 || pt.WriteCapacityUnits < 1 {
			return validationf("One or more parameter values were invalid: ProvisionedThroughput of %s must be at least 1 read and 1 write capacity unit", what)
		}
	default:
		return validationf("1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", mode)
	}
	return nil
}

// checkIndex validates a GSI against the table's definitions.
func (td *tableDef) checkIndex(g *GlobalSecondaryIndex) error {
	if err := checkName("globalSecondaryIndexes.indexName", g.IndexName); err != nil {
		return err
	}
	if err := checkKeySchema(g.KeySchema, "globalSecondaryIndexes.keySchema"); err != nil {
		return err
	}
	if g.Projection == nil {
		return validationf("One or more parameter values were invalid: Projection is required for index %s", g.IndexName)
	}
	switch g.Projection.ProjectionType {
	case "ALL", "KEYS_ONLY":
		if len(g.Projection.NonKeyAttributes) > 0 {
			return validationf("One or more parameter values were invalid: ProjectionType is %s, but NonKeyAttributes is specified", g.Projection.ProjectionType)
		}
	case "INCLUDE":
		if len(g.Projection.NonKeyAttributes) == 0 {
			return validationf("One or more parameter values were invalid: NonKeyAttributes must be specified for ProjectionType INCLUDE")
		}
	default:
		return validationf("1 validation error detected: Value '%s' at 'projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]", g.Projection.ProjectionType)
	}
	if td.BillingMode == "PROVISIONED" {
		if err := checkThroughput("PROVISIONED", g.ProvisionedThroughput, "index "+g.IndexName); err != nil {
			return err
		}
	} else if err := checkThroughput("PAY_PER_REQUEST", g.ProvisionedThroughput, ""); err != nil {
		return err
	}
	for _, o := range td.GSIs {
		if o.IndexName == g.IndexName {
			return validationf("One or more parameter values were invalid: Duplicate index name: %s", g.IndexName)
		}
	}
	return nil
}

// checkDefinitions checks that AttributeDefinitions names exactly the key
// attributes of the table and its indexes, each with a key type.
func (td *tableDef) checkDefinitions() error {
	used := map[string]bool{}
	for _, e := range td.KeySchema {
		used[e.AttributeName] = true
	}
	for _, g := range td.GSIs {
		for _, e := range g.KeySchema {
			used[e.AttributeName] = true
		}
	}
	defined := map[string]bool{}
	for _, a := range td.AttributeDefinitions {
		switch a.AttributeType {
		case "S", "N", "B":
		default:
			return validationf("1 validation error detected: Value '%s' at 'attributeDefinitions.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]", a.AttributeType)
		}
		if defined[a.AttributeName] {
			return validationf("Cannot have two attributes with the same name: %s", a.AttributeName)
		}
		defined[a.AttributeName] = true
	}
	var missing []string
	for n := range used {
		if !defined[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return validationf("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s]", strings.Join(missing, ", "))
	}
	if len(defined) != len(used) {
		return validationf("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	return nil
}

// CreateTable creates a table, ACTIVE at once.
func (e *Engine) CreateTable(ctx context.Context, in *CreateTableInput) (*TableDescription, error) {
	if err := checkUnsupported(in.Unsupported); err != nil {
		return nil, err
	}
	if err := checkTableName(in.TableName); err != nil {
		return nil, err
	}
	if err := checkKeySchema(in.KeySchema, "keySchema"); err != nil {
		return nil, err
	}
	mode := in.BillingMode
	if mode == "" {
		mode = "PROVISIONED"
	}
	if err := checkThroughput(mode, in.ProvisionedThroughput, "the table"); err != nil {
		return nil, err
	}
	td := &tableDef{
		Name:                 in.TableName,
		ID:                   uuid.NewString(),
		Created:              e.cfg.Now(),
		KeySchema:            in.KeySchema,
		AttributeDefinitions: in.AttributeDefinitions,
		BillingMode:          mode,
		Tags:                 in.Tags,
	}
	if in.ProvisionedThroughput != nil {
		td.Throughput = *in.ProvisionedThroughput
	}
	if in.DeletionProtectionEnabled != nil {
		td.DeletionProtection = *in.DeletionProtectionEnabled
	}
	if len(in.GlobalSecondaryIndexes) > 20 {
		return nil, &Error{Kind: ErrLimitExceeded, Message: "Subscriber limit exceeded: a table has at most 20 global secondary indexes"}
	}
	for _, g := range in.GlobalSecondaryIndexes {
		g := g
		if err := td.checkIndex(&g); err != nil {
			return nil, err
		}
		td.GSIs = append(td.GSIs, g)
	}
	if err := td.checkDefinitions(); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	b, err := json.Marshal(td)
	if err != nil {
		return nil, &Error{Kind: ErrInternal, Message: err.Error()}
	}
	if _, err := e.store.PutTable(ctx, td.Name, b, 0); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, &Error{Kind: ErrResourceInUse, Message: "Table already exists: " + td.Name}
		}
		return nil, storeErr("create table", err)
	}
	e.log.Info("dynamodb table created", "table", td.Name, "keys", td.KeySchema)
	return e.describe(td, 0, 0), nil
}

func (e *Engine) describe(td *tableDef, count, size int64) *TableDescription {
	d := &TableDescription{
		TableName:                 td.Name,
		TableStatus:               "ACTIVE",
		TableArn:                  e.arn(td.Name),
		TableId:                   td.ID,
		KeySchema:                 td.KeySchema,
		AttributeDefinitions:      td.AttributeDefinitions,
		CreationDateTime:          float64(td.Created.UnixMilli()) / 1000,
		ItemCount:                 count,
		TableSizeBytes:            size,
		BillingModeSummary:        &struct{ BillingMode string }{td.BillingMode},
		ProvisionedThroughput:     &ProvisionedThroughput{td.Throughput.ReadCapacityUnits, td.Throughput.WriteCapacityUnits},
		DeletionProtectionEnabled: td.DeletionProtection,
	}
	for _, g := range td.GSIs {
		gd := GlobalSecondaryIndexDescription{
			IndexName:             g.IndexName,
			IndexArn:              e.arn(td.Name) + "/index/" + g.IndexName,
			IndexStatus:           "ACTIVE",
			KeySchema:             g.KeySchema,
			Projection:            g.Projection,
			ProvisionedThroughput: &ProvisionedThroughput{},
		}
		if g.ProvisionedThroughput != nil {
			*gd.ProvisionedThroughput = *g.ProvisionedThroughput
		}
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, gd)
	}
	return d
}

// DescribeTable describes a table with its current item count and size.
func (e *Engine) DescribeTable(ctx context.Context, name string) (*TableDescription, error) {
	td, _, err := e.table(ctx, name)
	if err != nil {
		return nil, err
	}
	var count, size int64
	idx := make([]int64, 2*len(td.GSIs))
	err = e.store.List(ctx, name, nil, func(_, val []byte) error {
		it, err := decodeItem(val)
		if err != nil {
			return err
		}
		count++
		s := int64(it.Size())
		size += s
		for i, g := range td.GSIs {
			if inIndex(td, &g, it) {
				idx[2*i]++
				idx[2*i+1] += s
			}
		}
		return nil
	})
	if err != nil {
		return nil, storeErr("describe table", err)
	}
	d := e.describe(td, count, size)
	for i := range d.GlobalSecondaryIndexes {
		d.GlobalSecondaryIndexes[i].ItemCount = idx[2*i]
		d.GlobalSecondaryIndexes[i].IndexSizeBytes = idx[2*i+1]
	}
	return d, nil
}

// DeleteTable deletes a table and its items; deletion protection refuses.
func (e *Engine) DeleteTable(ctx context.Context, name string) (*TableDescription, error) {
	for range maxRetries {
		td, rev, err := e.table(ctx, name)
		if err != nil {
			return nil, err
		}
		if td.DeletionProtection {
			return nil, validationf("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
		}
		d := e.describe(td, 0, 0)
		d.TableStatus = "DELETING"
		err = e.store.DeleteTable(ctx, name, rev)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return nil, storeErr("delete table", err)
		}
		e.log.Info("dynamodb table deleted", "table", name)
		return d, nil
	}
	return nil, &Error{Kind: ErrUnavailable, Message: "the table kept changing; retry"}
}

// ListTables lists table names after exclusiveStart, at most limit
// (1..100, 0 = 100); last is set when more may follow.
func (e *Engine) ListTables(ctx context.Context, exclusiveStart string, limit int) (names []string, last string, err error) {
	if limit == 0 {
		limit = 100
	}
	if limit < 1 || limit > 100 {
		return nil, "", validationf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100", limit)
	}
	all, err := e.store.Tables(ctx)
	if err != nil {
		return nil, "", storeErr("list tables", err)
	}
	names = []string{}
	for _, n := range all {
		if exclusiveStart != "" && n <= exclusiveStart {
			continue
		}
		if len(names) == limit {
			return names, names[len(names)-1], nil
		}
		names = append(names, n)
	}
	return names, "", nil
}

// UpdateTable creates or deletes indexes and changes billing mode,
// throughput and deletion protection. New indexes are ACTIVE at once.
func (e *Engine) UpdateTable(ctx context.Context, in *UpdateTableInput) (*TableDescription, error) {
	if err := checkUnsupported(in.Unsupported); err != nil {
		return nil, err
	}
	err := e.changeTable(ctx, in.TableName, func(td *tableDef) error { return e.applyTableUpdate(td, in) })
	if err != nil {
		return nil, err
	}
	return e.DescribeTable(ctx, in.TableName)
}

func (e *Engine) applyTableUpdate(td *tableDef, in *UpdateTableInput) error {
	changed := false
	if in.BillingMode != "" && in.BillingMode != td.BillingMode {
		td.BillingMode = in.BillingMode
		changed = true
	}
	if in.ProvisionedThroughput != nil || in.BillingMode != "" {
		pt := in.ProvisionedThroughput
		if pt == nil && td.BillingMode == "PROVISIONED" {
			pt = &td.Throughput
		}
		if err := checkThroughput(td.BillingMode, pt, "the table"); err != nil {
			return err
		}
		if pt != nil {
			td.Throughput = *pt
		} else {
			td.Throughput = ProvisionedThroughput{}
		}
		changed = true
	}
	if in.DeletionProtectionEnabled != nil {
		td.DeletionProtection = *in.DeletionProtectionEnabled
		changed = true
	}
	// New attribute definitions join the table's (keys of new indexes).
	for _, a := range in.AttributeDefinitions {
		if t := td.attrType(a.AttributeName); t != "" {
			if t != a.AttributeType {
				return validationf("One or more parameter values were invalid: Attribute %s is already defined with type %s", a.AttributeName, t)
			}
			continue
		}
		td.AttributeDefinitions = append(td.AttributeDefinitions, a)
	}
	if len(in.GlobalSecondaryIndexUpdates) > 1 {
		return validationf("One or more parameter values were invalid: Only one global secondary index update per index is allowed simultaneously")
	}
	for _, u := range in.GlobalSecondaryIndexUpdates {
		switch {
		case u.Create != nil:
			g := *u.Create
			if _, err := td.index(g.IndexName); err == nil {
				return validationf("One or more parameter values were invalid: Index with name: %s already exists.", g.IndexName)
			}
			if err := td.checkIndex(&g); err != nil {
				return err
			}
			if len(td.GSIs) >= 20 {
				return &Error{Kind: ErrLimitExceeded, Message: "Subscriber limit exceeded: a table has at most 20 global secondary indexes"}
			}
			td.GSIs = append(td.GSIs, g)
		case u.Delete != nil:
			if _, err := td.index(u.Delete.IndexName); err != nil {
				return &Error{Kind: ErrResourceNotFound, Message: "Requested resource not found: Index: " + u.Delete.IndexName + " not found"}
			}
			td.GSIs = slices.DeleteFunc(td.GSIs, func(g GlobalSecondaryIndex) bool { return g.IndexName == u.Delete.IndexName })
		case u.Update != nil:
			g, err := td.index(u.Update.IndexName)
			if err != nil {
				return &Error{Kind: ErrResourceNotFound, Message: "Requested resource not found: Index: " + u.Update.IndexName + " not found"}
			}
			if err := checkThroughput(td.BillingMode, u.Update.ProvisionedThroughput, "index "+g.IndexName); err != nil {
				return err
			}
			g.ProvisionedThroughput = u.Update.ProvisionedThroughput
		default:
			return validationf("One or more parameter values were invalid: a GlobalSecondaryIndexUpdate has none of Create, Update, Delete")
		}
		changed = true
	}
	if len(in.GlobalSecondaryIndexUpdates) > 0 || len(in.AttributeDefinitions) > 0 {
		// Drop definitions no key uses any more, then check the set.
		used := map[string]bool{}
		for _, k := range td.KeySchema {
			used[k.AttributeName] = true
		}
		for _, g := range td.GSIs {
			for _, k := range g.KeySchema {
				used[k.AttributeName] = true
			}
		}
		td.AttributeDefinitions = slices.DeleteFunc(td.AttributeDefinitions, func(a AttributeDefinition) bool { return !used[a.AttributeName] })
		if err := td.checkDefinitions(); err != nil {
			return err
		}
	}
	if !changed {
		return validationf("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
	}
	if td.BillingMode == "PROVISIONED" {
		for _, g := range td.GSIs {
			if g.ProvisionedThroughput == nil {
				return validationf("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: %s", g.IndexName)
			}
		}
	} else {
		for i := range td.GSIs {
			td.GSIs[i].ProvisionedThroughput = nil
		}
	}
	return nil
}
