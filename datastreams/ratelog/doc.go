// Package ratelog bounds how often a repeating condition (a full disk, a
// failing index write) is logged: the first occurrence is logged at once,
// later ones at most once per interval, with how many happened meanwhile.
package ratelog
