{{- define "billing.name" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "billing.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "billing.labels" -}}
{{ include "billing.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "billing.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* Settings whose mistakes cause the duplicates and stalls this service exists to prevent: refuse to render them. */}}
{{- define "billing.checks" -}}
{{- $a := .Values.autoscaling -}}
{{- if and $a.enabled (gt (int $a.maxReplicas) (int .Values.kafka.topicPartitions)) -}}
{{- fail (printf "autoscaling.maxReplicas (%v) exceeds kafka.topicPartitions (%v): replicas beyond the partition count consume nothing" $a.maxReplicas .Values.kafka.topicPartitions) -}}
{{- end -}}
{{- if and $a.enabled (gt (int $a.minReplicas) (int $a.maxReplicas)) -}}
{{- fail "autoscaling.minReplicas exceeds autoscaling.maxReplicas" -}}
{{- end -}}
{{- if and .Values.auth.issuer (not .Values.auth.audience) -}}
{{- fail "auth.audience is required with auth.issuer: every token's aud must name it" -}}
{{- end -}}
{{- $s := .Values.shutdown -}}
{{- if le (int $s.terminationGracePeriodSeconds) (add $s.preStopSleepSeconds $s.drainBudgetSeconds | int) -}}
{{- fail (printf "shutdown.terminationGracePeriodSeconds (%v) must exceed preStopSleepSeconds + drainBudgetSeconds (%v): SIGKILL mid-batch means redelivery and a rebalance" $s.terminationGracePeriodSeconds (add $s.preStopSleepSeconds $s.drainBudgetSeconds)) -}}
{{- end -}}
{{- end -}}

{{/* AUTH_JWT_SECRET (HS256 mode only) and DATABASE_URL: files from the mounted Secret (<NAME>_FILE) or secretKeyRef env. */}}
{{- define "billing.secretEnv" -}}
{{- $keys := list "DATABASE_URL" -}}
{{- if not .Values.auth.issuer }}{{ $keys = prepend $keys "AUTH_JWT_SECRET" }}{{ end -}}
{{- range $key := $keys }}
{{- if $.Values.secret.mountAsFiles }}
- name: {{ $key }}_FILE
  value: {{ printf "%s/%s" $.Values.secret.mountPath $key | quote }}
{{- else }}
- name: {{ $key }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.secret.name }}
      key: {{ $key }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "billing.secretVolumeMount" -}}
- name: secrets
  mountPath: {{ .Values.secret.mountPath }}
  readOnly: true
{{- end -}}

{{- define "billing.secretVolume" -}}
- name: secrets
  secret:
    secretName: {{ .Values.secret.name }}
    defaultMode: 0440
{{- end -}}

{{- define "billing.securityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{- define "billing.podSecurityContext" -}}
runAsNonRoot: true
# The image's `node` user.
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
Liveness and startup: any HTTP answer from /health (200 or 503) within the timeout proves the process and its
event loop are alive. The image has no curl; bash's /dev/tcp costs no extra process the way `node -e` would.
*/}}
{{- define "billing.answersHealth" -}}
exec:
  command:
    - bash
    - -c
    - >-
      exec 3<>/dev/tcp/127.0.0.1/{{ .Values.port }} &&
      printf 'GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3 &&
      read -r -t 4 status <&3 &&
      case "$status" in "HTTP/1.1 200 "* | "HTTP/1.1 503 "*) exit 0 ;; *) exit 1 ;; esac
{{- end -}}
