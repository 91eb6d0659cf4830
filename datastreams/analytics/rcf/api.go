package rcf

// SKELETON: the contract of the random cut forest. The owner replaces the
// panics and may add members.

// Config are RANDOM_CUT_FOREST's parameters.
type Config struct {
	Dimensions  int    // numeric columns (before shingling)
	Trees       int    // numberOfTrees, default 100
	SampleSize  int    // subSampleSize, default 256
	TimeDecay   int    // timeDecay, default 100000
	ShingleSize int    // default 1
	Seed        uint64 // the forest's random source
}

// Forest is a streaming random cut forest. Not safe for concurrent use.
type Forest struct{}

// New builds an empty forest.
func New(cfg Config) (*Forest, error) { panic("skeleton") }

// Attribution is one dimension's part of a score.
type Attribution struct {
	Score    float64 // ATTRIBUTION_SCORE, >= 0; they sum to the score
	Strength float64 // STRENGTH, >= 0
	High     bool    // DIRECTION: HIGH, else LOW
}

// Update scores point (Dimensions values) against the forest, then adds
// it. The score is 0 until the forest has seen SampleSize points.
func (f *Forest) Update(point []float64) float64 { panic("skeleton") }

// UpdateExplain is Update with the score's attribution per dimension.
func (f *Forest) UpdateExplain(point []float64) (float64, []Attribution) { panic("skeleton") }

// MarshalBinary and UnmarshalBinary save and restore the forest (with
// its random source) so that a restored forest scores as the original.
func (f *Forest) MarshalBinary() ([]byte, error) { panic("skeleton") }

// UnmarshalBinary restores a forest saved by MarshalBinary.
func (f *Forest) UnmarshalBinary(b []byte) error { panic("skeleton") }
