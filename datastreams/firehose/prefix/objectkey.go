package prefix

import (
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"
)

var extPattern = regexp.MustCompile(`^$|^\.[0-9a-z!\-_.*'()]+$`)

// ValidateFileExtension checks a FileExtension value.
func ValidateFileExtension(ext string) error {
	if len(ext) > 128 {
		return fmt.Errorf("FileExtension is longer than 128 characters")
	}
	if !extPattern.MatchString(ext) {
		return fmt.Errorf("FileExtension %q must be empty or a dot followed by 0-9 a-z ! - _ . * ' ( )", ext)
	}
	return nil
}

// Extension returns the extension objects get: fileExtension when set
// (FileExtension replaces the default), else def (".gz", ".parquet", ...).
func Extension(fileExtension, def string) string {
	if fileExtension != "" {
		return fileExtension
	}
	return def
}

// ObjectKey names an object the way Firehose does:
//
//	<prefix><stream>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid><ext>
//
// with t shown in the CustomTimeZone and a new random 36-character UUID.
func (p *Prefixes) ObjectKey(evaluatedPrefix, stream, version string, t time.Time, ext string) string {
	return ObjectKey(evaluatedPrefix, stream, version, t.In(p.loc), ext)
}

// ObjectKey is (*Prefixes).ObjectKey for a time already in its zone.
func ObjectKey(evaluatedPrefix, stream, version string, t time.Time, ext string) string {
	return evaluatedPrefix + stream + "-" + version + "-" + t.Format("2006-01-02-15-04-05") + "-" + uuid.NewString() + ext
}
