package kinesis

import (
	"net/http"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/web/awsapi"
)

type splitShardInput struct {
	streamInput
	ShardToSplit       *string `json:"ShardToSplit"`
	NewStartingHashKey *string `json:"NewStartingHashKey"`
}

func (in *splitShardInput) Check(v *awsapi.Validator) {
	if v.Required("shardToSplit", in.ShardToSplit != nil) {
		v.String("shardToSplit", in.ShardToSplit, namePattern, 1, 128)
	}
	if v.Required("newStartingHashKey", in.NewStartingHashKey != nil) {
		v.String("newStartingHashKey", in.NewStartingHashKey, hashPattern, 0, -1)
	}
	in.streamInput.Check(v)
}

func (h *Handler) splitShard(r *http.Request, body []byte) (any, error) {
	in, err := decode[splitShardInput](r, body)
	if err != nil {
		return nil, err
	}
	return empty{}, h.engine.SplitShard(r.Context(), in.ref(), *in.ShardToSplit, *in.NewStartingHashKey)
}

type mergeShardsInput struct {
	streamInput
	ShardToMerge         *string `json:"ShardToMerge"`
	AdjacentShardToMerge *string `json:"AdjacentShardToMerge"`
}

func (in *mergeShardsInput) Check(v *awsapi.Validator) {
	if v.Required("shardToMerge", in.ShardToMerge != nil) {
		v.String("shardToMerge", in.ShardToMerge, namePattern, 1, 128)
	}
	if v.Required("adjacentShardToMerge", in.AdjacentShardToMerge != nil) {
		v.String("adjacentShardToMerge", in.AdjacentShardToMerge, namePattern, 1, 128)
	}
	in.streamInput.Check(v)
}

func (h *Handler) mergeShards(r *http.Request, body []byte) (any, error) {
	in, err := decode[mergeShardsInput](r, body)
	if err != nil {
		return nil, err
	}
	return empty{}, h.engine.MergeShards(r.Context(), in.ref(), *in.ShardToMerge, *in.AdjacentShardToMerge)
}

type updateShardCountInput struct {
	streamInput
	TargetShardCount *int    `json:"TargetShardCount"`
	ScalingType      *string `json:"ScalingType"`
}

func (in *updateShardCountInput) Check(v *awsapi.Validator) {
	if v.Required("targetShardCount", in.TargetShardCount != nil) {
		v.Int("targetShardCount", in.TargetShardCount, 1, maxShardCount)
	}
	if v.Required("scalingType", in.ScalingType != nil) {
		v.Enum("scalingType", in.ScalingType, datastreams.ScalingTypeUniform)
	}
	in.streamInput.Check(v)
}

func (h *Handler) updateShardCount(r *http.Request, body []byte) (any, error) {
	in, err := decode[updateShardCountInput](r, body)
	if err != nil {
		return nil, err
	}
	out, err := h.engine.UpdateShardCount(r.Context(), in.ref(), *in.TargetShardCount, *in.ScalingType)
	if err != nil {
		return nil, err
	}
	return struct {
		StreamName        string `json:"StreamName"`
		StreamARN         string `json:"StreamARN"`
		CurrentShardCount int    `json:"CurrentShardCount"`
		TargetShardCount  int    `json:"TargetShardCount"`
	}{out.Name, out.ARN, out.CurrentCount, out.TargetCount}, nil
}
