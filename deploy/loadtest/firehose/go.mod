module firehose

go 1.21
