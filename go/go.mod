module coolbpf

go 1.19
