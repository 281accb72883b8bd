# syntax=docker/dockerfile:1
# The Sluice image: `docker build -t sluice .` at the repository root.
#
# Stage 1 builds a release binary with the Swift runtime and Foundation linked in
# statically (--static-swift-stdlib); stage 2 is a slim Debian with only the C libraries
# the binary still loads. scripts/check-image builds with this file's exact `swift build`
# line and checks, with ldd, that every library the binary needs comes from a package the
# runtime stage installs (or from the base image's required set).

FROM swift:6.3-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsystemd-dev zlib1g-dev libdeflate-dev libzstd-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The link lays out the functions the agent runs side by side (scripts/link-order.txt, made
# by scripts/gen-link-order.py; each function in a section of its own so lld can move it),
# packs relative relocations (RELR) and exports no symbols: the kernel maps the binary in
# blocks, so fewer blocks hold running code. docs/performance.md measures it.
RUN swift build -c release --product sluice --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections -Xswiftc -use-ld=lld -Xlinker --symbol-ordering-file=scripts/link-order.txt -Xlinker --no-warn-symbol-ordering -Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic
RUN install -D -m 0755 --strip "$(swift build -c release --product sluice --show-bin-path)/sluice" /out/sluice \
 && /out/sluice version

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsystemd0 zlib1g libdeflate0 libzstd1 libstdc++6 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin sluice
COPY --from=build /out/sluice /usr/local/bin/sluice
# Non-root by default. The DaemonSet in k8s/ runs it as uid 0 with every capability
# dropped but DAC_READ_SEARCH, which reading the node's logs needs (docs/deploy-kubernetes.md).
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/sluice"]
CMD ["agent", "--config-dir", "/etc/sluice/config"]
