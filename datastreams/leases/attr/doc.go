// Package attr is the DynamoDB attribute value: its wire JSON, numbers with
// 38 significant digits compared numerically, and the checks every value
// passes where it enters.
package attr
