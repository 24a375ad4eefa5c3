import styled, { css } from 'styled-components'

/** The one button: primary (filled), secondary (outlined), ghost (toolbar), danger. */
export const Button = styled.button<{
  $variant?: 'primary' | 'secondary' | 'ghost' | 'danger'
  $size?: 'small' | 'large'
}>`
  display: inline-flex;
  align-items: center;
  justify-content: center;
  gap: 6px;
  border-radius: ${(p) => p.theme.radius};
  border: 1px solid transparent;
  padding: ${(p) => (p.$size === 'large' ? '12px 22px' : p.$size === 'small' ? '4px 10px' : '8px 14px')};
  font-weight: 600;
  cursor: pointer;
  white-space: nowrap;
  min-height: ${(p) => (p.$size === 'small' ? '30px' : '38px')};
  ${(p) => {
    const c = p.theme.color
    switch (p.$variant) {
      case 'primary':
        return css`
          background: ${c.accent};
          color: ${c.accentText};
          &:hover:not(:disabled) { filter: brightness(1.08); }
        `
      case 'danger':
        return css`
          background: transparent;
          color: ${c.danger};
          border-color: ${c.danger};
          &:hover:not(:disabled) { background: ${c.hover}; }
        `
      case 'ghost':
        return css`
          background: transparent;
          color: ${c.text};
          &:hover:not(:disabled) { background: ${c.hover}; }
        `
      default:
        return css`
          background: ${c.surface};
          color: ${c.text};
          border-color: ${c.border};
          &:hover:not(:disabled) { background: ${c.hover}; }
        `
    }
  }}
  &:disabled {
    opacity: 0.6;
    cursor: default;
  }
`

/** A square icon-only button; always give it an aria-label. */
export const IconButton = styled.button<{ $active?: boolean }>`
  display: inline-grid;
  place-items: center;
  width: 36px;
  height: 36px;
  border-radius: 50%;
  border: none;
  background: ${(p) => (p.$active ? p.theme.color.accentSoft : 'transparent')};
  color: ${(p) => (p.$active ? p.theme.color.accent : p.theme.color.text)};
  cursor: pointer;
  font-size: 18px;
  &:hover:not(:disabled) {
    background: ${(p) => p.theme.color.hover};
  }
  &:disabled {
    opacity: 0.5;
    cursor: default;
  }
`
