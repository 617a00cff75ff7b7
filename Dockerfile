# sockit as a container: the Native AOT binary on the minimal runtime-deps base (glibc, OpenSSL and a shell for the
# merge step of deploy/k8s; no .NET runtime, which the binary does not need).
#
#   docker build -t sockit:latest .
#   docker run --rm --network host sockit:latest bench http://127.0.0.1:8080/ -c 50 -d 10s
#
# Build stage: Native AOT links with clang against zlib.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish src/Sockit.Cli -c Release -r linux-x64 -p:PublishAot=true -o /out

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0
COPY --from=build /out/sockit /usr/local/bin/sockit
# The base image's unprivileged user: servers in the container bind ports above 1023 unless given the capability.
USER app
ENTRYPOINT ["sockit"]
CMD ["--help"]
