// Package ffdecode decodes video frames of stored fragments by running the
// ffmpeg binary, an optional runtime dependency of shardcast. A Decoder
// feeds one fragmented MP4 (init segment and fragment) to ffmpeg on stdin,
// has it pick frames by their index in presentation order and scale them,
// and reads them back as raw RGBA pictures. It bounds how many ffmpeg
// processes run at once and kills a process when its context ends.
package ffdecode
