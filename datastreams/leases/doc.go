// Package leases is the DynamoDB subset that lease tables use (KCL 2.x/3.x
// and this module's consumer): tables with a hash (and range) key and
// global secondary indexes, conditional item writes with expressions and
// the legacy Expected/AttributeUpdates parameters, Scan and Query. Tables
// and items live in a Store chosen by cmd (bbolt catalog, memory,
// JetStream key-value); every acknowledged write is durable.
package leases
