// Package leases is the DynamoDB subset that lease tables use (KCL 2.x and
// 3.x, the DynamoDB lock client, the Java enhanced client, and this
// module's consumer): tables with a hash (and range) key and global
// secondary indexes, conditional item writes with condition and update
// expressions and with the legacy Expected and AttributeUpdates
// parameters, GetItem, Scan (paged, filtered, parallel) and Query (on the
// table or an index).
//
// # Basics
//
// New(store, cfg) returns an Engine; its methods take the request types
// of api.go, whose members carry DynamoDB's JSON 1.0 names, so a web
// handler decodes a body straight into them, and return *Error values
// whose Kind (ErrValidation, ErrConditionalCheckFailed, ...) names the
// wire error. A ConditionalCheckFailed error carries the current item in
// Error.Item when the request asked for ReturnValuesOnConditionCheckFailure
// ALL_OLD and the item exists.
//
// Tables and indexes are ACTIVE as soon as CreateTable or UpdateTable
// returns (KCL 3.x reads the new index's IndexStatus from UpdateTable's
// answer). DescribeTable counts items and bytes when asked. Deletion
// protection refuses DeleteTable with a ValidationException.
//
// The engine keeps no state of its own. Tables and items live in a Store:
// bytes under a sortable encoding of the primary key, each with a
// revision. Every write reads the item, evaluates the condition and the
// update on it, and writes with compare-and-set on the revision it read;
// when another writer got there first (ErrConflict) it reads and evaluates
// again. So conditional writes stay atomic when several servers share a
// store (the JetStream one), and an acknowledged write is durable when the
// Store's Put returns. Stores: NewMemStore here, the bbolt catalog
// (index.(*Catalog).LeaseStore) and JetStream KV
// ((*natsstore.Conn).LeaseStore). leasestest is the contract they pass.
//
// Scan walks the key order: ExclusiveStartKey resumes strictly after a
// key even when that item is gone, Limit bounds the items read before
// FilterExpression, a page also ends after 1 MB, and the last page has no
// LastEvaluatedKey. Segment i of TotalSegments n holds the items whose
// hash key hashes to i, so every item is in exactly one segment. Query
// sorts by the range key (numbers numerically) and pages the same way. An
// index is sparse: items without all of its key attributes are not in it.
//
// Attribute values and expressions are packages attr and expr.
//
// # Caveats
//
// Indexes are not stored: Query and index Scans read the whole table and
// sort in memory, and DescribeTable counts by reading the table. That
// suits lease tables (one item per shard, a few per worker) and not large
// tables. Items are read with ConsistentRead semantics always.
// ReturnValues UPDATED_OLD and UPDATED_NEW return whole top-level
// attributes, also when the update changed a nested path.
//
// Not implemented, refused with a ValidationException naming them: the
// legacy KeyConditions, QueryFilter and ScanFilter, local secondary
// indexes, streams, SSE and table classes. Not offered by the engine:
// BatchGetItem, BatchWriteItem, TransactWriteItems (KCL 3.5 uses it only
// to migrate an old coordinator table), TTL and backups
// (UpdateContinuousBackups stores and describes the flag only). Bare reserved
// words in expressions are accepted. ConsumedCapacity is never reported.
package leases
