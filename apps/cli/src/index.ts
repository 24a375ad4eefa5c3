export { DEMO_PORTS, DEMO_USERS, type Demo, startDemo } from './demo.ts'
export { mailClient, operatorToken } from './mail.ts'
export { serveDomain } from './serve.ts'
