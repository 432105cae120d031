// Types for parse-prometheus-text-format (dev dependency, ships none): the
// Prometheus text format read into metric families, as the package documents.
declare module 'parse-prometheus-text-format' {
  interface Sample {
    value: string
    labels?: Record<string, string>
    timestamp_ms?: string
  }
  interface Family {
    name: string
    help: string
    type: 'COUNTER' | 'GAUGE' | 'SUMMARY' | 'HISTOGRAM' | 'UNTYPED'
    metrics: Sample[]
  }
  export default function parsePrometheusTextFormat(text: string): Family[]
}
