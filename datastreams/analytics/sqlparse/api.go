package sqlparse

import "fmt"

// Error is a syntax or planning error at a place in the application code.
// Line and Column count from 1; Column counts characters (runes).
type Error struct {
	Line, Column int
	Message      string
}

func (e *Error) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Message)
}

// Pos is a place in the code.
type Pos struct{ Line, Column int }

// Errorf makes an *Error at p.
func Errorf(p Pos, format string, args ...any) *Error {
	return &Error{Line: p.Line, Column: p.Column, Message: fmt.Sprintf(format, args...)}
}
