package http2

// SettingID is a SETTINGS parameter.
type SettingID uint16

// The SETTINGS parameters.
const (
	SettingHeaderTableSize      SettingID = 0x1
	SettingEnablePush           SettingID = 0x2
	SettingMaxConcurrentStreams SettingID = 0x3
	SettingInitialWindowSize    SettingID = 0x4
	SettingMaxFrameSize         SettingID = 0x5
	SettingMaxHeaderListSize    SettingID = 0x6
)

// Setting is one parameter and its value.
type Setting struct {
	ID  SettingID
	Val uint32
}

// AppendSettings appends a SETTINGS frame with the parameters.
func AppendSettings(b []byte, s ...Setting) []byte {
	b = AppendFrameHeader(b, 6*len(s), FrameSettings, 0, 0)
	for _, x := range s {
		b = append(b, byte(x.ID>>8), byte(x.ID))
		b = append32(b, x.Val)
	}
	return b
}

// AppendSettingsAck appends an empty SETTINGS frame with the ACK flag.
func AppendSettingsAck(b []byte) []byte {
	return AppendFrameHeader(b, 0, FrameSettings, FlagAck, 0)
}

// SettingsErr is what is wrong with a SETTINGS frame, with the connection
// error it calls for and nginx's log text.
type SettingsErr struct {
	Code ErrCode
	Text string
}

func (e *SettingsErr) Error() string { return e.Text }

// ParseSettings calls fn for each parameter of a SETTINGS payload, after
// checking the payload's length and the values RFC 9113 bounds, as
// ngx_http_v2_state_settings_params does.
func ParseSettings(p []byte, fn func(Setting)) error {
	if len(p)%6 != 0 {
		return &SettingsErr{Code: FrameSizeError, Text: "client sent SETTINGS frame with incorrect length"}
	}
	for i := 0; i+6 <= len(p); i += 6 {
		s := Setting{ID: SettingID(uint16(p[i])<<8 | uint16(p[i+1])), Val: be32(p[i+2:])}
		switch s.ID {
		case SettingInitialWindowSize:
			if s.Val > MaxWindow {
				return &SettingsErr{Code: FlowControlError, Text: "client sent SETTINGS frame with incorrect INITIAL_WINDOW_SIZE value"}
			}
		case SettingMaxFrameSize:
			if s.Val < DefaultMaxFrameSize || s.Val > MaxFrameSizeLimit {
				return &SettingsErr{Code: ProtocolError, Text: "client sent SETTINGS frame with incorrect MAX_FRAME_SIZE value"}
			}
		case SettingEnablePush:
			if s.Val > 1 {
				return &SettingsErr{Code: ProtocolError, Text: "client sent SETTINGS frame with incorrect ENABLE_PUSH value"}
			}
		}
		fn(s)
	}
	return nil
}
