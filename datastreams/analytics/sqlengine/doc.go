// Package sqlengine plans and runs analytics application code: pumps
// between in-application streams, with filters and projections, tumbling,
// sliding and stagger windows, joins, and the table functions.
package sqlengine
