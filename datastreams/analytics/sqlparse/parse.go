package sqlparse

// Parse reads application code: statements separated by semicolons.
// Errors are *Error.
func Parse(code string) (*Script, error) { panic("skeleton") }
