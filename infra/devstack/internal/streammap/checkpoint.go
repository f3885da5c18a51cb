package streammap

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Checkpoints remembers, per stream shard, the last sequence number the
// mapping has finished with, in a JSON file, so that a stack restarted on a
// persisted DynamoDB Local (make dev -db-path) resumes its stream where it
// stopped instead of replaying it from TRIM_HORIZON — as an event source
// mapping in AWS keeps its position.
type Checkpoints struct {
	path string
	mu   sync.Mutex
	seqs map[string]string // streamARN + "|" + shardID -> sequence number
}

// OpenCheckpoints reads the checkpoint file at path (a missing file is an
// empty set). It returns an error when the file exists but is not valid.
func OpenCheckpoints(path string) (*Checkpoints, error) {
	c := &Checkpoints{path: path, seqs: map[string]string{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &c.seqs); err != nil {
		return nil, fmt.Errorf("stream checkpoints %s: %w", path, err)
	}
	return c, nil
}

// Get returns the checkpoint of a shard, "" when there is none.
func (c *Checkpoints) Get(streamARN, shardID string) string {
	if c == nil {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seqs[streamARN+"|"+shardID]
}

// Set records a shard's checkpoint and writes the file (atomically, through
// a temporary file). It returns the write error.
func (c *Checkpoints) Set(streamARN, shardID, seq string) error {
	if c == nil || seq == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seqs[streamARN+"|"+shardID] = seq
	b, _ := json.MarshalIndent(c.seqs, "", "  ")
	tmp := c.path + ".tmp"
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, c.path)
}
