# One image, three roles: `signflow migrate`, `signflow api`, `signflow worker`.
# The signing page's npm packages, as api/signpage/package-lock.json pins them.
FROM node:22 AS web
WORKDIR /web
COPY api/signpage/package.json api/signpage/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error && \
    sed '/^\/\/# sourceMappingURL=/d' node_modules/signature_pad/dist/signature_pad.umd.min.js > signature_pad.js

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /web/signature_pad.js api/signpage/vendor/signature_pad.js
RUN CGO_ENABLED=0 go build -trimpath -o /out/signflow .

FROM alpine:3.20
RUN adduser -D -u 10001 signflow && mkdir -p /data && chown signflow /data
COPY --from=build /out/signflow /usr/local/bin/signflow
USER signflow
WORKDIR /data
ENTRYPOINT ["signflow"]
