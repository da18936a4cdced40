# One image, three roles: `signflow migrate`, `signflow api`, `signflow worker`.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/signflow .

FROM alpine:3.20
RUN adduser -D -u 10001 signflow && mkdir -p /data && chown signflow /data
COPY --from=build /out/signflow /usr/local/bin/signflow
USER signflow
WORKDIR /data
ENTRYPOINT ["signflow"]
