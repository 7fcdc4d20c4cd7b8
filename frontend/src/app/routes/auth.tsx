export { ForgotPasswordForm } from '../../features/auth/components/forgot-password-form';
export { LoginForm } from '../../features/auth/components/login-form';
export { RegisterForm } from '../../features/auth/components/register-form';
export { ResetPasswordForm } from '../../features/auth/components/reset-password-form';
export { VerifyEmail } from '../../features/auth/components/verify-email';
